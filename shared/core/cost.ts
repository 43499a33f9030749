/** What one training job runs on: the Cloud Run Job's limits, or the local machine. */
export interface RunResources {
  vcpu: number;
  memory_gib: number;
  gpu_count: number;
  gpu_type: string | null;
}

/** USD per second of one unit, as Cloud Run bills jobs. */
export interface UnitPrices {
  vcpu_second: number;
  gib_second: number;
  gpu_second: number;
}

/**
 * Cloud Run list prices in USD for Tier 1 regions (europe-west1, us-central1, ...), from
 * https://cloud.google.com/run/pricing: $0.000024 per vCPU-second and $0.0000025 per GiB-second (the
 * figures the seeds' cost tables use), and $0.0001867 per second for an NVIDIA L4 without zonal
 * redundancy (about $0.67 an hour). Prices differ by region and change over time, so every one of them
 * is configuration; these are only the defaults.
 */
export const CLOUD_RUN_PRICES: UnitPrices = {
  vcpu_second: 0.000024,
  gib_second: 0.0000025,
  gpu_second: 0.0001867,
};

export interface CostEstimate {
  usd: number;
  vcpu_usd: number;
  memory_usd: number;
  gpu_usd: number;
  seconds: number;
  prices: UnitPrices;
}

// Sub-micro-dollar digits are noise next to the uncertainty of the prices themselves.
const usd = (value: number) => Math.round(value * 1e6) / 1e6;

/** What `seconds` on `resources` cost at `prices`: each resource is billed for the whole duration. */
export function estimateCost(seconds: number, resources: RunResources, prices: UnitPrices): CostEstimate {
  if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError(`duration must be a non-negative number of seconds, got ${seconds}`);
  const vcpu = seconds * resources.vcpu * prices.vcpu_second;
  const memory = seconds * resources.memory_gib * prices.gib_second;
  const gpu = seconds * resources.gpu_count * prices.gpu_second;
  return {
    usd: usd(vcpu + memory + gpu),
    vcpu_usd: usd(vcpu),
    memory_usd: usd(memory),
    gpu_usd: usd(gpu),
    seconds,
    prices,
  };
}
