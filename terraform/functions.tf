# The functions' source: the esbuild bundle (`npm run build`) with the package files, from which Cloud
# Build installs the dependencies. .npmrc keeps onnxruntime-node from downloading its CUDA build.
data "archive_file" "functions" {
  type        = "zip"
  output_path = "${path.module}/.build/functions.zip"

  source {
    filename = "dist/functions/index.js"
    content  = file("${path.module}/../dist/functions/index.js")
  }
  # The dashboard's page, which the dashboard function serves from beside its bundle (dist/dashboard).
  source {
    filename = "dist/dashboard/index.html"
    content  = file("${path.module}/../dist/dashboard/index.html")
  }
  source {
    filename = "dist/dashboard/main.js"
    content  = file("${path.module}/../dist/dashboard/main.js")
  }
  source {
    filename = "dist/dashboard/style.css"
    content  = file("${path.module}/../dist/dashboard/style.css")
  }
  source {
    filename = "package.json"
    content  = file("${path.module}/../package.json")
  }
  source {
    filename = "package-lock.json"
    content  = file("${path.module}/../package-lock.json")
  }
  source {
    filename = ".npmrc"
    content  = file("${path.module}/../.npmrc")
  }
  # package.json names the package's own bin, which npm links while installing.
  source {
    filename = "bin/mloop.js"
    content  = file("${path.module}/../bin/mloop.js")
  }
}

resource "google_storage_bucket_object" "functions" {
  name   = "functions-${data.archive_file.functions.output_md5}.zip"
  bucket = google_storage_bucket.sources.name
  source = data.archive_file.functions.output_path
}

locals {
  runtime = "nodejs20"

  # What every function's configuration (shared/core/config.ts) needs on Google Cloud.
  base_env = {
    # Express, under functions-framework, answers an error it catches with its stack trace otherwise.
    NODE_ENV                   = "production"
    MLOOP_PLATFORM             = "gcp"
    GOOGLE_CLOUD_PROJECT       = var.project_id
    GOOGLE_CLOUD_REGION        = var.region
    MLOOP_DATA_BUCKET          = google_storage_bucket.data.name
    MLOOP_ARTIFACTS_BUCKET     = google_storage_bucket.artifacts.name
    MLOOP_LOG_LEVEL            = var.log_level
    MLOOP_EVENT_MAX_ATTEMPTS   = var.max_delivery_attempts
    MLOOP_ACK_DEADLINE_SECONDS = var.ack_deadline_seconds
  }

  # The training job as it is configured below, for the resources and cost a finished run records.
  usage_env = {
    MLOOP_JOB_CPU           = var.job_cpu
    MLOOP_JOB_MEMORY_GIB    = var.job_memory_gib
    MLOOP_JOB_GPU_COUNT     = local.job_gpu_count
    MLOOP_JOB_GPU_TYPE      = var.job_gpu_type
    MLOOP_PRICE_VCPU_SECOND = var.price_vcpu_second
    MLOOP_PRICE_GIB_SECOND  = var.price_gib_second
    MLOOP_PRICE_GPU_SECOND  = var.price_gpu_second
  }

  launcher_env = {
    MLOOP_DISPATCH            = "launch"
    MLOOP_MAX_PARALLEL_JOBS   = var.max_parallel_jobs
    MLOOP_RUN_MAX_ATTEMPTS    = var.run_max_attempts
    MLOOP_JOB_TIMEOUT_SECONDS = var.job_timeout_seconds
  }

  # Only onTrainingRequested's identity may run the job: elsewhere a freed slot is announced to it.
  announce_env = {
    MLOOP_DISPATCH = "announce"
  }

  # onTrainingRequested runs it; the reconcile pass reads the state of its executions.
  job_target_env = {
    MLOOP_TRAIN_JOB = google_cloud_run_v2_job.train.name
  }

  evaluator_env = {
    MLOOP_PROMOTION_DELTA = var.promotion_delta
    MLOOP_PROMOTION_MODE  = var.promotion_mode
    MLOOP_CANARY_PERCENT  = var.canary_percent
    MLOOP_SCORE_SERVICE   = google_cloudfunctions2_function.score.service_config[0].service
  }

  score_env = {
    MLOOP_PREDICTION_SAMPLE = var.prediction_sample
  }

  # Approve and roll back from the dashboard roll the scoring service as a promotion does.
  dashboard_env = {
    MLOOP_SCORE_SERVICE   = google_cloudfunctions2_function.score.service_config[0].service
    MLOOP_CANARY_PERCENT  = var.canary_percent
    MLOOP_DASHBOARD_READS = var.dashboard_reads
  }

  build_service_account = google_service_account.build.id
}

resource "google_cloudfunctions2_function" "on_data_uploaded" {
  name     = "${var.name_prefix}-on-data-uploaded"
  location = var.region

  build_config {
    runtime         = local.runtime
    entry_point     = "onDataUploaded"
    service_account = local.build_service_account
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.functions.name
      }
    }
  }

  service_config {
    service_account_email = google_service_account.ingest.email
    available_memory      = "1Gi"
    timeout_seconds       = 540
    max_instance_count    = 10
    ingress_settings      = "ALLOW_INTERNAL_ONLY"
    environment_variables = local.base_env
  }

  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.storage.object.v1.finalized"
    retry_policy          = "RETRY_POLICY_RETRY"
    service_account_email = google_service_account.events.email
    event_filters {
      attribute = "bucket"
      value     = google_storage_bucket.data.name
    }
  }

  depends_on = [google_project_iam_member.gcs_agent_publisher, google_project_iam_member.events_receiver, google_project_iam_member.build_builder]
}

# The functions Pub/Sub pushes their topic's events to, through subscriptions of mloop's (pubsub.tf),
# keyed by entry point. name is the function's (after name_prefix) and its subscription's.
locals {
  pushed_functions = {
    onTrainingRequested = {
      name              = "on-training-requested"
      topic             = "training-requested"
      message_retention = local.retention
      service_account   = google_service_account.launcher.email
      memory            = "512Mi"
      timeout_seconds   = 300
      max_instances     = 5
      env               = merge(local.base_env, local.launcher_env, local.job_target_env)
    }

    # Scores the candidate and the production model on the holdout: the most memory of the events.
    onTrainingCompleted = {
      name              = "on-training-completed"
      topic             = "training-completed"
      message_retention = local.retention
      service_account   = google_service_account.evaluator.email
      memory            = "2Gi"
      cpu               = "1"
      timeout_seconds   = 540
      max_instances     = 5
      env               = merge(local.base_env, local.usage_env, local.announce_env, local.evaluator_env)
    }

    onMonitoringTick = {
      name  = "on-monitoring-tick"
      topic = "monitoring-tick"
      # A tick that could not be handled is superseded by the next one within minutes.
      message_retention = "3600s"
      service_account   = google_service_account.monitor.email
      memory            = "512Mi"
      timeout_seconds   = 300
      # One reconcile pass at a time is enough; ticks are minutes apart.
      max_instances = 1
      env           = merge(local.base_env, local.usage_env, local.announce_env, local.job_target_env)
    }

    onDriftDetected = {
      name              = "on-drift-detected"
      topic             = "drift-detected"
      message_retention = local.retention
      service_account   = google_service_account.drift.email
      memory            = "512Mi"
      timeout_seconds   = 120
      max_instances     = 2
      env               = local.base_env
    }
  }
}

resource "google_cloudfunctions2_function" "pushed" {
  for_each = local.pushed_functions
  name     = "${var.name_prefix}-${each.value.name}"
  location = var.region

  build_config {
    runtime         = local.runtime
    entry_point     = each.key
    service_account = local.build_service_account
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.functions.name
      }
    }
  }

  service_config {
    service_account_email = each.value.service_account
    available_memory      = each.value.memory
    # Unset, Cloud Functions sizes the CPU by the memory.
    available_cpu         = try(each.value.cpu, null)
    timeout_seconds       = each.value.timeout_seconds
    max_instance_count    = each.value.max_instances
    ingress_settings      = "ALLOW_INTERNAL_ONLY"
    environment_variables = each.value.env
  }

  depends_on = [google_project_iam_member.build_builder]
}

# The HTTP scoring function. Callers present an identity token (roles/run.invoker): no public access.
resource "google_cloudfunctions2_function" "score" {
  name     = "${var.name_prefix}-score"
  location = var.region

  build_config {
    runtime         = local.runtime
    entry_point     = "score"
    service_account = local.build_service_account
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.functions.name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.score.email
    available_memory                 = "1Gi"
    available_cpu                    = "1"
    max_instance_request_concurrency = 16
    timeout_seconds                  = 60
    min_instance_count               = 0
    max_instance_count               = var.score_max_instances
    ingress_settings                 = "ALLOW_ALL"
    environment_variables            = merge(local.base_env, local.score_env)
  }

  depends_on = [google_project_iam_member.build_builder]
}

# The dashboard and its admin API (`/api`). Reaching it takes roles/run.invoker (dashboard_invokers), as
# for score; with dashboard_api_key_secret its actions also need that key, whoever may invoke it.
resource "google_cloudfunctions2_function" "dashboard" {
  name     = "${var.name_prefix}-dashboard"
  location = var.region

  build_config {
    runtime         = local.runtime
    entry_point     = "dashboard"
    service_account = local.build_service_account
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.functions.name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.dashboard.email
    available_memory                 = "512Mi"
    max_instance_request_concurrency = 16
    available_cpu                    = "1"
    timeout_seconds                  = 60
    min_instance_count               = 0
    max_instance_count               = 2
    ingress_settings                 = "ALLOW_ALL"
    environment_variables            = merge(local.base_env, local.dashboard_env)

    dynamic "secret_environment_variables" {
      for_each = var.dashboard_api_key_secret == null ? [] : [var.dashboard_api_key_secret]
      content {
        key        = "MLOOP_API_KEY"
        project_id = var.project_id
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }
  }

  depends_on = [google_project_iam_member.build_builder, google_secret_manager_secret_iam_member.dashboard_api_key]
}
