resource "google_artifact_registry_repository" "images" {
  location      = var.region
  repository_id = var.name_prefix
  format        = "DOCKER"
  description   = "mloop's train job image (jobs/train/Dockerfile) and scoring service image (functions/score.Dockerfile)."
  depends_on    = [google_project_service.apis]
}
