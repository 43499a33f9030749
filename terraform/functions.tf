# Each function's source: its own esbuild bundle (`npm run build`: dist/functions/<file>.js) with the
# package files, from which Cloud Build installs the dependencies; package.json's `main` names that
# bundle, so a cold start loads that function's code only. .npmrc keeps onnxruntime-node from
# downloading its CUDA build.
locals {
  # Entry point → its bundle under dist/functions/.
  function_bundles = {
    onDataUploaded      = "on_data_uploaded"
    onTrainingRequested = "on_training_requested"
    onRunSlotFreed      = "on_run_slot_freed"
    onTrainingCompleted = "on_training_completed"
    onMonitoringTick    = "on_monitoring_tick"
    onDriftDetected     = "on_drift_detected"
    onModelPromoted     = "on_model_promoted"
    onTableChanged      = "on_table_changed"
    dashboard           = "dashboard"
  }
  # The dashboard's page, which the dashboard function serves from beside its bundle (dist/dashboard).
  dashboard_files = ["dist/dashboard/index.html", "dist/dashboard/main.js", "dist/dashboard/style.css"]
  # package.json names the package's own bin, which npm links while installing.
  package_files = ["package-lock.json", ".npmrc", "bin/mloop.js"]
}

data "archive_file" "functions" {
  for_each    = local.function_bundles
  type        = "zip"
  output_path = "${path.module}/.build/${each.value}.zip"

  source {
    filename = "dist/functions/${each.value}.js"
    content  = file("${path.module}/../dist/functions/${each.value}.js")
  }
  source {
    filename = "package.json"
    content  = jsonencode(merge(jsondecode(file("${path.module}/../package.json")), { main = "dist/functions/${each.value}.js" }))
  }

  dynamic "source" {
    for_each = concat(local.package_files, each.key == "dashboard" ? local.dashboard_files : [])
    content {
      filename = source.value
      content  = file("${path.module}/../${source.value}")
    }
  }
}

resource "google_storage_bucket_object" "functions" {
  for_each = local.function_bundles
  name     = "${each.value}-${data.archive_file.functions[each.key].output_md5}.zip"
  bucket   = google_storage_bucket.sources.name
  source   = data.archive_file.functions[each.key].output_path
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
    MLOOP_MAX_PARALLEL_JOBS   = var.max_parallel_jobs
    MLOOP_RUN_MAX_ATTEMPTS    = var.run_max_attempts
    MLOOP_JOB_TIMEOUT_SECONDS = var.job_timeout_seconds
  }

  # The launcher (onTrainingRequested, onRunSlotFreed) runs it; the reconcile pass reads the state of its executions.
  job_target_env = {
    MLOOP_TRAIN_JOB = google_cloud_run_v2_job.train.name
  }

  # A promotion records its canary in the registry; onModelPromoted deploys it.
  evaluator_env = {
    MLOOP_PROMOTION_DELTA = var.promotion_delta
    MLOOP_PROMOTION_MODE  = var.promotion_mode
    MLOOP_CANARY_PERCENT  = var.canary_percent
  }

  # Approving from the dashboard is a promotion, with the same canary.
  dashboard_env = {
    MLOOP_CANARY_PERCENT  = var.canary_percent
    MLOOP_DASHBOARD_READS = var.dashboard_reads
  }

  # The one identity that deploys the scoring service.
  rollout_env = {
    MLOOP_SCORE_SERVICE = google_cloud_run_v2_service.score.name
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
        object = google_storage_bucket_object.functions["onDataUploaded"].name
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

    # The launcher's second trigger: a run ended (or was given up on) and a slot may be free. Same
    # identity as onTrainingRequested, the only one that may run the job.
    onRunSlotFreed = {
      name              = "on-run-slot-freed"
      topic             = "run-slot-freed"
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
      env               = merge(local.base_env, local.usage_env, local.evaluator_env)
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
      env           = merge(local.base_env, local.usage_env, local.job_target_env)
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

    # Deploys the scoring service to what the registry says after a promotion, approval, rollback or
    # canary move: the only identity that may change that service.
    onModelPromoted = {
      name              = "on-model-promoted"
      topic             = "model-promoted"
      message_retention = local.retention
      service_account   = google_service_account.rollout.email
      memory            = "256Mi"
      # Creating a revision waits for its startup probe: the models loaded and warmed.
      timeout_seconds = 540
      # One deployment at a time: each reads the service and writes it back with its etag anyway.
      max_instances = 1
      env           = merge(local.base_env, local.rollout_env)
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
        object = google_storage_bucket_object.functions[each.key].name
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
        object = google_storage_bucket_object.functions["dashboard"].name
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
