locals {
  # Cloud Run gives an instance one GPU at most.
  job_gpu_count = 1

  # The job's own configuration; MLOOP_RUN_ID and MLOOP_RUN_ATTEMPT come as overrides of each execution.
  job_env = {
    MLOOP_TF_BACKEND     = "auto"
    MLOOP_TRAIN_EPOCHS   = var.train_epochs
    MLOOP_DEFAULT_SAMPLE = var.default_sample
  }
}

# The training job: one task per execution, on an L4. Cloud Run requires at least 4 vCPU and 16 GiB
# with an L4, in a region that has them (see var.region).
resource "google_cloud_run_v2_job" "train" {
  provider            = google-beta
  name                = "${var.name_prefix}-train"
  location            = var.region
  launch_stage        = "BETA"
  deletion_protection = false

  template {
    task_count  = 1
    parallelism = 1

    template {
      service_account = google_service_account.train.email
      timeout         = "${var.job_timeout_seconds}s"
      max_retries     = var.job_max_retries
      # The quota Cloud Run grants a project by default is for GPUs without zonal redundancy, which
      # also cost less; a training attempt that loses its zone is retried by mloop anyway.
      gpu_zonal_redundancy_disabled = true

      node_selector {
        accelerator = var.job_gpu_type
      }

      containers {
        image = var.job_image

        resources {
          limits = {
            cpu              = tostring(var.job_cpu)
            memory           = "${var.job_memory_gib}Gi"
            "nvidia.com/gpu" = tostring(local.job_gpu_count)
          }
        }

        dynamic "env" {
          for_each = merge(local.base_env, local.usage_env, local.job_env)
          content {
            name  = env.key
            value = tostring(env.value)
          }
        }
      }
    }
  }

  depends_on = [google_project_service.apis, google_artifact_registry_repository.images]
}
