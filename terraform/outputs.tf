output "score_url" {
  description = "The scoring service: POST <url>/score/<model> with an identity token."
  value       = google_cloud_run_v2_service.score.uri
}

output "dashboard_url" {
  description = "The dashboard: open it through `gcloud run services proxy <name_prefix>-dashboard --region <region>`, or directly if dashboard_invokers holds allUsers."
  value       = google_cloudfunctions2_function.dashboard.service_config[0].uri
}

output "data_bucket" {
  description = "Upload datasets to gs://<data_bucket>/datasets/<model>/<file>.csv."
  value       = google_storage_bucket.data.name
}

output "artifacts_bucket" {
  description = "Model versions (models/<model>/<version>/) and the prediction log (predictions/)."
  value       = google_storage_bucket.artifacts.name
}

output "train_job" {
  description = "The Cloud Run Job that trains."
  value       = google_cloud_run_v2_job.train.name
}

output "image_repository" {
  description = "Push the train job's and the scoring service's images here."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}

output "cli_env" {
  description = "Environment for the mloop CLI against this deployment (MLOOP_PLATFORM=gcp npx mloop runs)."
  value = {
    MLOOP_PLATFORM         = "gcp"
    GOOGLE_CLOUD_PROJECT   = var.project_id
    GOOGLE_CLOUD_REGION    = var.region
    MLOOP_DATA_BUCKET      = google_storage_bucket.data.name
    MLOOP_ARTIFACTS_BUCKET = google_storage_bucket.artifacts.name
  }
}
