# The monitoring tick: onMonitoringTick reconciles runs whose job is gone and reports drift.
resource "google_cloud_scheduler_job" "monitoring_tick" {
  name      = "${var.name_prefix}-monitoring-tick"
  region    = var.region
  schedule  = var.monitoring_schedule
  time_zone = "Etc/UTC"

  pubsub_target {
    topic_name = google_pubsub_topic.topic["monitoring-tick"].id
    data       = base64encode(jsonencode({}))
  }

  depends_on = [google_project_service.apis]
}
