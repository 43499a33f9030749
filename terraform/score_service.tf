# The scoring service: functions-framework's `score` target from its own bundle, in the image built from
# functions/score.Dockerfile. A Cloud Run service rather than a Cloud Function because mloop rolls it
# itself: each set of served versions is a revision of its own (MLOOP_SERVED_MODELS in its environment,
# loaded before the startup probe passes), a canary is a traffic split between two revisions, and a
# rollback moves the traffic back to a revision that already exists. Terraform creates the service and
# its first revision (serving nothing yet); the served versions and the traffic are onModelPromoted's
# from then on, so Terraform ignores them.
resource "google_cloud_run_v2_service" "score" {
  name                = "${var.name_prefix}-score"
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = false

  template {
    service_account                  = google_service_account.score.email
    max_instance_request_concurrency = 16
    timeout                          = "60s"

    scaling {
      min_instance_count = 0
      max_instance_count = var.score_max_instances
    }

    containers {
      image = var.score_image

      resources {
        limits = {
          cpu    = "1"
          memory = "1Gi"
        }
        # CPU stays allocated between requests: the prediction log is flushed on a timer and shadow
        # scoring runs after the reply is sent.
        cpu_idle = false
      }

      dynamic "env" {
        for_each = merge(local.base_env, local.score_env)
        content {
          name  = env.key
          value = tostring(env.value)
        }
      }

      # Ready once every served version is loaded and warmed; Cloud Run sends no traffic before.
      startup_probe {
        period_seconds    = 2
        timeout_seconds   = 2
        failure_threshold = 60
        http_get {
          path = local.score_startup_probe_path
        }
      }
    }
  }

  # Traffic starts on the first revision; onModelPromoted pins it to named revisions.
  traffic {
    type    = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
    percent = 100
  }

  lifecycle {
    ignore_changes = [
      template[0].containers[0].env,
      template[0].revision,
      traffic,
      client,
      client_version,
    ]
  }

  depends_on = [google_project_service.apis, google_artifact_registry_repository.images]
}

locals {
  score_startup_probe_path = "/v2/health/ready"

  score_env = {
    MLOOP_PREDICTION_SAMPLE = var.prediction_sample
    # What the first revision serves: nothing until the first promotion deploys a revision of its own.
    MLOOP_SERVED_MODELS = ""
    MLOOP_SHADOW_MODELS = ""
  }
}
