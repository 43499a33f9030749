import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkConfiguration, loadSchemas, type ProviderSchema, type SchemaError } from './provider_schema';

/**
 * `terraform validate` needs the provider binaries, which cannot be downloaded here; the providers'
 * schemas can (terraform/schema/, from scripts/extract_provider_schema.mjs). Every resource, data
 * source and provider block of terraform/*.tf is checked against them.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const TERRAFORM = path.join(ROOT, 'terraform');

let schemas: Map<string, ProviderSchema>;
let scratch: string;
beforeAll(() => {
  schemas = loadSchemas(path.join(TERRAFORM, 'schema'));
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-schema-'));
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A folder holding these files, for the checker. */
function folder(name: string, files: Record<string, string>): string {
  const dir = path.join(scratch, name);
  fs.mkdirSync(dir);
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
  return dir;
}

/**
 * A copy of terraform/*.tf (the rest of the configuration is what its references point to) with, in
 * one file, each `from` replaced by its `to`, failing if one is not there any more.
 */
function mutated(name: string, file: string, ...edits: [from: string | RegExp, to: string][]): string {
  const files: Record<string, string> = {};
  for (const f of fs.readdirSync(TERRAFORM).filter((f) => f.endsWith('.tf'))) files[f] = fs.readFileSync(path.join(TERRAFORM, f), 'utf8');
  for (const [from, to] of edits) {
    const next = files[file].replace(from, to);
    if (next === files[file]) throw new Error(`${String(from)} is not in terraform/${file} any more: update this test`);
    files[file] = next;
  }
  return folder(name, files);
}

const brief = (errors: SchemaError[]) => errors.map((e) => `${e.file} ${e.address} ${e.path}: ${e.message}`).sort();

describe('the extracted schemas', () => {
  it('are of the provider versions the configuration is checked against', () => {
    expect([...schemas.keys()].sort()).toEqual(['archive', 'google', 'google-beta']);
    expect(schemas.get('google')).toMatchObject({ provider: 'registry.terraform.io/hashicorp/google', version: '6.50.0' });
    expect(schemas.get('google-beta')).toMatchObject({ provider: 'registry.terraform.io/hashicorp/google-beta', version: '6.50.0' });
    expect(schemas.get('google')!.resource_types.length).toBeGreaterThan(1000);
  });

  it("carry Terraform's own names, which camelCase does not give back", () => {
    const google = schemas.get('google')!;
    // storage_bucket_object's is sourceMd5Hash in the package; a naive snake_case would be source_md5_hash.
    expect(google.resource_schemas.google_storage_bucket_object.attributes).toMatchObject({ source_md5hash: 'optional', md5hash: 'computed', bucket: 'required' });
    const job = google.resource_schemas.google_cloud_run_v2_job;
    expect(job.attributes).toMatchObject({ name: 'required', location: 'required', deletion_protection: 'optional', uid: 'computed' });
    expect(job.blocks!.template).toMatchObject({ min_items: 1, max_items: 1 });
    expect(job.blocks!.template.blocks!.template.attributes).toMatchObject({ gpu_zonal_redundancy_disabled: 'optional', service_account: 'optional' });
    const containers = job.blocks!.template.blocks!.template.blocks!.containers;
    expect(containers.attributes.image).toBe('required');
    expect(containers.max_items).toBeUndefined();
    const fn = google.resource_schemas.google_cloudfunctions2_function;
    expect(fn.blocks!.service_config.attributes).toMatchObject({ uri: 'computed', available_cpu: 'optional', max_instance_request_concurrency: 'optional' });
    expect(fn.blocks!.service_config.blocks!.secret_environment_variables.attributes).toEqual({ key: 'required', project_id: 'required', secret: 'required', version: 'required' });
    expect(google.resource_schemas.google_pubsub_subscription.blocks!.push_config.blocks!.oidc_token.attributes).toEqual({ audience: 'optional', service_account_email: 'required' });
    expect(google.resource_schemas.google_storage_bucket_iam_member.blocks!.condition.attributes).toEqual({ description: 'optional', expression: 'required', title: 'required' });
    expect(schemas.get('archive')!.data_source_schemas.archive_file.attributes).toMatchObject({ output_path: 'required', output_md5: 'computed' });
  });
});

describe('terraform/*.tf against the providers’ schemas', () => {
  it('uses only types, arguments and blocks the providers have, with every required one', async () => {
    const { errors, checked } = await checkConfiguration(TERRAFORM, schemas);
    expect(brief(errors)).toEqual([]);
    // Every resource, data source and provider block was seen, by a scan that does not share the parser.
    const declared = fs
      .readdirSync(TERRAFORM)
      .filter((f) => f.endsWith('.tf'))
      .flatMap((f) => [...fs.readFileSync(path.join(TERRAFORM, f), 'utf8').matchAll(/^(resource|data|provider) "([\w-]+)"(?: "([\w-]+)")?/gm)])
      .map(([, kind, type, name]) => (kind === 'resource' ? `${type}.${name}` : kind === 'data' ? `data.${type}.${name}` : `provider.${type}`));
    expect(declared.length).toBeGreaterThan(50);
    expect([...checked].sort()).toEqual(declared.sort());
  });

  it('names the file, address and argument of a misspelt argument and a missing required one', async () => {
    const dir = mutated(
      'misspelt',
      'pubsub.tf',
      [/^(\s+)ack_deadline_seconds(\s+)= var\.ack_deadline_seconds$/m, '$1ack_deadline_second $2= var.ack_deadline_seconds'],
      [/^\s+topic\s+= google_pubsub_topic\.topic\[each\.value\.topic\]\.id\n/m, ''],
      ['push_endpoint =', 'push_endpont ='],
    );
    const { errors } = await checkConfiguration(dir, schemas);
    expect(brief(errors)).toEqual([
      'pubsub.tf google_pubsub_subscription.push ack_deadline_second: unknown argument or block ack_deadline_second (did you mean ack_deadline_seconds?)',
      'pubsub.tf google_pubsub_subscription.push push_config.push_endpoint: missing required argument push_endpoint',
      'pubsub.tf google_pubsub_subscription.push push_config.push_endpont: unknown argument or block push_endpont (did you mean push_endpoint?)',
      'pubsub.tf google_pubsub_subscription.push topic: missing required argument topic',
    ]);
  });

  it("checks a dynamic block's content against the block it makes, deep in nested blocks", async () => {
    const dir = mutated('dynamic', 'job.tf', ['value = tostring(env.value)', 'valeu = tostring(env.value)'], [/^\s+image = var\.job_image\n/m, ''], ['node_selector {', 'node_selecter {']);
    const { errors } = await checkConfiguration(dir, schemas);
    expect(brief(errors)).toEqual([
      'job.tf google_cloud_run_v2_job.train template.template.containers.dynamic "env".content.valeu: unknown argument or block valeu (did you mean value?)',
      'job.tf google_cloud_run_v2_job.train template.template.containers.image: missing required argument image',
      'job.tf google_cloud_run_v2_job.train template.template.node_selecter: unknown argument or block node_selecter (did you mean node_selector?)',
    ]);
  });

  it('names a reference to an attribute the resource does not have, or to a resource not declared', async () => {
    const dir = mutated(
      'references',
      'outputs.tf',
      ['value       = google_cloudfunctions2_function.dashboard.service_config[0].uri', 'value       = google_cloudfunctions2_function.dashboard.service_config[0].url'],
      ['value       = google_storage_bucket.data.name', 'value       = google_storage_bucket.dta.name'],
      ['value       = google_cloud_run_v2_job.train.name', 'value       = google_cloud_run_v2_job.train.nam'],
    );
    const { errors } = await checkConfiguration(dir, schemas);
    expect(brief(errors)).toEqual([
      'outputs.tf output.dashboard_url google_cloudfunctions2_function.dashboard.service_config[0].url: unknown attribute url (did you mean uri?) in service_config of google_cloudfunctions2_function.dashboard',
      'outputs.tf output.data_bucket google_storage_bucket.dta.name: google_storage_bucket.dta is not declared (did you mean google_storage_bucket.data?)',
      'outputs.tf output.train_job google_cloud_run_v2_job.train.nam: unknown attribute nam (did you mean name?) of google_cloud_run_v2_job.train',
    ]);
  });

  it('finds unknown types, missing required blocks, read-only arguments, blocks written as arguments and too many blocks', async () => {
    const dir = folder('shapes', {
      'main.tf': `
resource "google_pubsub_topik" "t" {
  name = "t"
}

resource "google_cloud_run_v2_job" "bare" {
  name     = "bare"
  location = "europe-west1"
}

resource "google_pubsub_subscription" "s" {
  name  = "s"
  topic = "t"
  expiration_policy = {
    ttl = ""
  }
  retry_policy {
    minimum_backoff = "10s"
  }
  retry_policy {
    minimum_backoff = "20s"
  }
  effective_labels = {}
  lifecycle {
    ignore_change = [labels]
  }
}

resource "aws_s3_bucket" "b" {}

data "google_projects" "p" {
  filter = "name:x"
}

provider "google" {
  projet = "x"
}
`,
    });
    const { errors } = await checkConfiguration(dir, schemas);
    expect(brief(errors)).toEqual([
      'main.tf aws_s3_bucket.b : no schema for provider "aws": add its CDKTF package to node scripts/extract_provider_schema.mjs',
      'main.tf data.google_projects.p : google_projects is a data source of google 6.50.0 whose schema was not extracted: run node scripts/extract_provider_schema.mjs',
      'main.tf google_cloud_run_v2_job.bare template: missing required block template',
      'main.tf google_pubsub_subscription.s effective_labels: effective_labels is read-only (computed): it cannot be set',
      'main.tf google_pubsub_subscription.s expiration_policy: expiration_policy is a block: write expiration_policy { ... }, not expiration_policy = ...',
      'main.tf google_pubsub_subscription.s lifecycle.ignore_change: unknown lifecycle argument ignore_change (did you mean ignore_changes?)',
      'main.tf google_pubsub_subscription.s retry_policy: at most 1 retry_policy block, found 2',
      'main.tf google_pubsub_topik.t : unknown resource type google_pubsub_topik in google 6.50.0 (did you mean google_pubsub_topic?)',
      'main.tf provider.google projet: unknown argument or block projet (did you mean project?)',
    ]);
  });

  it('checks a resource with provider = google-beta against google-beta', async () => {
    const beta = schemas.get('google-beta')!;
    const betaOnly = beta.resource_types.find((type) => !schemas.get('google')!.resource_types.includes(type));
    expect(betaOnly).toBeDefined();
    const dir = folder('beta', {
      'main.tf': `
resource "${betaOnly}" "x" {
  provider = google-beta
}

resource "${betaOnly}" "y" {
}
`,
    });
    const { errors } = await checkConfiguration(dir, schemas);
    expect(brief(errors)).toEqual([
      `main.tf ${betaOnly}.x : ${betaOnly} is a resource of google-beta 6.50.0 whose schema was not extracted: run node scripts/extract_provider_schema.mjs`,
      expect.stringMatching(new RegExp(`^main\\.tf ${betaOnly}\\.y : unknown resource type ${betaOnly} in google 6\\.50\\.0`)),
    ]);
  });
});
