variable "project_id" {
  description = "The Google Cloud project mloop is deployed to."
  type        = string
}

variable "region" {
  description = "Region of every regional resource. The training job needs one with Cloud Run L4 GPUs (europe-west1, europe-west4, us-east4, asia-southeast1; us-central1 and asia-south1 by invitation)."
  type        = string
  default     = "europe-west1"
}

variable "name_prefix" {
  description = "Prefix of buckets (which must be globally unique), functions, the job and service accounts."
  type        = string
  default     = "mloop"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,14}$", var.name_prefix))
    error_message = "name_prefix must be 2-15 lowercase letters, digits or '-', starting with a letter (service account ids are limited to 30 characters)."
  }
}

variable "firestore_location" {
  description = "Firestore location: a region (defaults to var.region) or a multi-region such as eur3 or nam5."
  type        = string
  default     = null
}

variable "job_image" {
  description = "The train job's image in Artifact Registry, built from jobs/train/Dockerfile (see cloudbuild.yaml)."
  type        = string
}

variable "score_image" {
  description = "The scoring service's image in Artifact Registry, built from functions/score.Dockerfile (see cloudbuild.yaml)."
  type        = string
}

variable "job_cpu" {
  description = "vCPUs of the training job. Cloud Run requires at least 4 with an L4 GPU."
  type        = number
  default     = 4

  validation {
    condition     = var.job_cpu >= 4 && var.job_cpu <= 8
    error_message = "A Cloud Run job with an L4 GPU needs 4 to 8 vCPUs."
  }
}

variable "job_memory_gib" {
  description = "Memory of the training job in GiB. Cloud Run requires at least 16 GiB with an L4 GPU."
  type        = number
  default     = 16

  validation {
    condition     = var.job_memory_gib >= 16 && var.job_memory_gib <= 32
    error_message = "A Cloud Run job with an L4 GPU needs 16 to 32 GiB of memory."
  }
}

variable "job_gpu_type" {
  description = "GPU of the training job."
  type        = string
  default     = "nvidia-l4"
}

variable "job_timeout_seconds" {
  description = "How long one attempt of the training job may run before Cloud Run stops it."
  type        = number
  default     = 3600
}

variable "job_max_retries" {
  description = "Cloud Run's own retries of a failed task. mloop already retries a run whose job died as a new attempt (run_max_attempts), so the default is none: GPU seconds are not spent twice for one attempt."
  type        = number
  default     = 0
}

variable "max_parallel_jobs" {
  description = "Training jobs running at once; further requests queue."
  type        = number
  default     = 1
}

variable "run_max_attempts" {
  description = "Attempts of a run whose job dies before reporting."
  type        = number
  default     = 3
}

variable "train_epochs" {
  description = "Maximum training epochs (early stopping usually ends sooner)."
  type        = number
  default     = 30
}

variable "default_sample" {
  description = "Rows a training run samples (stratified on the target) when the dataset's mloop.json sets no sample."
  type        = number
  default     = 500000
}

variable "promotion_delta" {
  description = "AUC margin a candidate must beat production by to be promoted."
  type        = number
  default     = 0.01
}

variable "promotion_mode" {
  description = "auto: a winning candidate is promoted; manual: it waits for `mloop models approve` (model-awaiting-approval is published)."
  type        = string
  default     = "auto"
  validation {
    condition     = contains(["auto", "manual"], var.promotion_mode)
    error_message = "promotion_mode is auto or manual."
  }
}

variable "canary_percent" {
  description = "Share of scoring traffic a newly promoted version's revision gets; the previous revision keeps the rest until `mloop models canary complete|abort`. 0 sends all of it to the new one at once."
  type        = number
  default     = 0
  validation {
    condition     = var.canary_percent >= 0 && var.canary_percent < 100
    error_message = "canary_percent is 0 to 99."
  }
}

variable "max_delivery_attempts" {
  description = "Deliveries of a Pub/Sub message before it goes to the topic's dead-letter topic (5 to 100)."
  type        = number
  default     = 5

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100
    error_message = "Pub/Sub accepts 5 to 100 delivery attempts."
  }
}

variable "ack_deadline_seconds" {
  description = "How long Pub/Sub waits for a function to answer a push before redelivering (at most 600)."
  type        = number
  default     = 600
}

variable "monitoring_schedule" {
  description = "Cron schedule (UTC) of the monitoring tick, which also reconciles runs whose job is gone."
  type        = string
  default     = "*/5 * * * *"
}

variable "prediction_sample" {
  description = "Share of scored requests written to the prediction log (0 to 1)."
  type        = number
  default     = 1
}

variable "price_vcpu_second" {
  description = "USD per vCPU-second of the training job, for the cost estimate of each run (Cloud Run Tier 1 list price)."
  type        = number
  default     = 0.000024
}

variable "price_gib_second" {
  description = "USD per GiB-second of the training job (Cloud Run Tier 1 list price)."
  type        = number
  default     = 0.0000025
}

variable "price_gpu_second" {
  description = "USD per GPU-second of the training job (Cloud Run L4 without zonal redundancy, Tier 1 list price)."
  type        = number
  default     = 0.0001867
}

variable "log_level" {
  description = "Log level of the functions and the job."
  type        = string
  default     = "info"
}

variable "score_max_instances" {
  description = "Upper bound of the scoring service's instances (per revision)."
  type        = number
  default     = 10
}

variable "dashboard_invokers" {
  description = "Principals allowed to open the dashboard (e.g. user:ana@example.com); they reach it through `gcloud run services proxy`. \"allUsers\" makes it public: then set dashboard_api_key_secret, and dashboard_reads to key if the loop's runs and metrics are not for everyone."
  type        = list(string)
  default     = []
}

variable "dashboard_reads" {
  description = "open: whoever reaches the dashboard sees runs, datasets, models and drift; key: those need the API key too. Actions and dead letters always need it when dashboard_api_key_secret is set (MLOOP_DASHBOARD_READS)."
  type        = string
  default     = "open"
  validation {
    condition     = contains(["open", "key"], var.dashboard_reads)
    error_message = "dashboard_reads is open or key."
  }
}

variable "dashboard_api_key_secret" {
  description = "Secret Manager secret (id in this project) holding the API key the dashboard's actions need (MLOOP_API_KEY). Null: whoever may invoke the dashboard may act."
  type        = string
  default     = null
}

variable "score_invokers" {
  description = "Principals allowed to call the scoring service (e.g. user:ana@example.com, serviceAccount:...). Project owners can already."
  type        = list(string)
  default     = []
}

variable "bigquery_source_datasets" {
  description = "BigQuery datasets (project.dataset) that models read through mloop.json's source.bigquery. The launcher (onTrainingRequested) may read these and no others."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for d in var.bigquery_source_datasets : can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]\\.[A-Za-z0-9_]+$", d))])
    error_message = "Each entry is project.dataset."
  }
}

variable "bigquery_location" {
  description = "Location of the BigQuery dataset over the prediction log and feedback files: the data and artifacts buckets' region by default (an external table must be where its bucket is)."
  type        = string
  default     = null
}

variable "bigquery_schedules" {
  description = "Models read from BigQuery (mloop.json source.bigquery) retrained on a schedule: model name → cron (UTC). Each is a Cloud Scheduler job asking for a new snapshot. `mloop schedules --terraform` prints it from the models' mloop.json (source.bigquery.schedule)."
  type        = map(string)
  default     = {}
}
