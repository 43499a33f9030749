locals {
  sa = {
    ingest    = "serviceAccount:${google_service_account.ingest.email}"
    launcher  = "serviceAccount:${google_service_account.launcher.email}"
    evaluator = "serviceAccount:${google_service_account.evaluator.email}"
    monitor   = "serviceAccount:${google_service_account.monitor.email}"
    drift     = "serviceAccount:${google_service_account.drift.email}"
    score     = "serviceAccount:${google_service_account.score.email}"
    train     = "serviceAccount:${google_service_account.train.email}"
    events    = "serviceAccount:${google_service_account.events.email}"
    build     = "serviceAccount:${google_service_account.build.email}"
  }
}

# ---------------------------------------------------------------- Firestore
# Firestore roles exist only for the whole project (database).

resource "google_project_iam_member" "firestore_user" {
  for_each = toset(["ingest", "launcher", "evaluator", "monitor", "drift", "train"])
  project  = var.project_id
  role     = "roles/datastore.user"
  member   = local.sa[each.key]
}

# Scoring only reads the registry.
resource "google_project_iam_member" "firestore_viewer_score" {
  project = var.project_id
  role    = "roles/datastore.viewer"
  member  = local.sa.score
}

# ---------------------------------------------------------------- buckets

# Reading uploads: onDataUploaded hashes and validates them (and label files); the job trains on them;
# monitoring reads each model's mloop.json; a drift retraining copies the newest upload.
resource "google_storage_bucket_iam_member" "data_reader" {
  for_each = toset(["ingest", "train", "monitor", "drift"])
  bucket   = google_storage_bucket.data.name
  role     = "roles/storage.objectViewer"
  member   = local.sa[each.key]
}

# The job writes a model version's files, and rewrites them when a run is retried.
resource "google_storage_bucket_iam_member" "artifacts_writer_train" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectUser"
  member = local.sa.train
}

# Evaluation scores candidate and production on the holdout; scoring loads production models;
# monitoring reads the prediction log and reference.json; a drift retraining joins labels to the log.
resource "google_storage_bucket_iam_member" "artifacts_reader" {
  for_each = toset(["evaluator", "score", "monitor", "drift"])
  bucket   = google_storage_bucket.artifacts.name
  role     = "roles/storage.objectViewer"
  member   = local.sa[each.key]
}

# Scoring appends its prediction log under predictions/, and may create nothing else.
resource "google_storage_bucket_iam_member" "predictions_writer_score" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectCreator"
  member = local.sa.score

  condition {
    title      = "prediction-log-only"
    expression = "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.artifacts.name}/objects/predictions/\")"
  }
}

# The monitoring tick writes its reports under drift/, and nothing else.
resource "google_storage_bucket_iam_member" "drift_reports_writer_monitor" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectCreator"
  member = local.sa.monitor

  condition {
    title      = "drift-reports-only"
    expression = "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.artifacts.name}/objects/drift/\")"
  }
}

# A drift retraining writes its training file (the upload plus the labels) under retrain/, and nothing else.
resource "google_storage_bucket_iam_member" "retrain_writer_drift" {
  bucket = google_storage_bucket.data.name
  role   = "roles/storage.objectCreator"
  member = local.sa.drift

  condition {
    title      = "retrain-datasets-only"
    expression = "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.data.name}/objects/retrain/\")"
  }
}

resource "google_storage_bucket_iam_member" "sources_reader_build" {
  bucket = google_storage_bucket.sources.name
  role   = "roles/storage.objectViewer"
  member = local.sa.build
}

# ---------------------------------------------------------------- Pub/Sub publishers

resource "google_pubsub_topic_iam_member" "publish_training_requested" {
  # Uploads and drift request training; completion and the reconcile pass hand a freed slot to
  # onTrainingRequested (MLOOP_DISPATCH=announce) rather than running the job themselves.
  for_each = toset(["ingest", "drift", "evaluator", "monitor"])
  topic    = google_pubsub_topic.topic["training-requested"].name
  role     = "roles/pubsub.publisher"
  member   = local.sa[each.key]
}

resource "google_pubsub_topic_iam_member" "publish_training_completed_train" {
  topic  = google_pubsub_topic.topic["training-completed"].name
  role   = "roles/pubsub.publisher"
  member = local.sa.train
}

resource "google_pubsub_topic_iam_member" "publish_drift_detected_monitor" {
  topic  = google_pubsub_topic.topic["drift-detected"].name
  role   = "roles/pubsub.publisher"
  member = local.sa.monitor
}

resource "google_pubsub_topic_iam_member" "publish_model_promoted_evaluator" {
  topic  = google_pubsub_topic.topic["model-promoted"].name
  role   = "roles/pubsub.publisher"
  member = local.sa.evaluator
}

# In manual promotion mode the evaluator announces a candidate that waits for approval.
resource "google_pubsub_topic_iam_member" "publish_model_awaiting_approval_evaluator" {
  topic  = google_pubsub_topic.topic["model-awaiting-approval"].name
  role   = "roles/pubsub.publisher"
  member = local.sa.evaluator
}

# ---------------------------------------------------------------- the training job

# Only onTrainingRequested runs the job, with per-execution overrides (run id, attempt, timeout).
resource "google_cloud_run_v2_job_iam_member" "run_job_launcher" {
  provider = google-beta
  name     = google_cloud_run_v2_job.train.name
  location = google_cloud_run_v2_job.train.location
  role     = "roles/run.jobsExecutorWithOverrides"
  member   = local.sa.launcher
}

# The reconcile pass reads the state of executions; it cannot start one.
resource "google_cloud_run_v2_job_iam_member" "view_job_monitor" {
  provider = google-beta
  name     = google_cloud_run_v2_job.train.name
  location = google_cloud_run_v2_job.train.location
  role     = "roles/run.viewer"
  member   = local.sa.monitor
}

# ---------------------------------------------------------------- invoking the functions

resource "google_project_iam_member" "events_receiver" {
  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = local.sa.events
}

resource "google_cloud_run_service_iam_member" "events_invoker" {
  for_each = {
    on_data_uploaded      = google_cloudfunctions2_function.on_data_uploaded.service_config[0].service
    on_training_requested = google_cloudfunctions2_function.on_training_requested.service_config[0].service
    on_training_completed = google_cloudfunctions2_function.on_training_completed.service_config[0].service
    on_monitoring_tick    = google_cloudfunctions2_function.on_monitoring_tick.service_config[0].service
    on_drift_detected     = google_cloudfunctions2_function.on_drift_detected.service_config[0].service
  }
  location = var.region
  service  = each.value
  role     = "roles/run.invoker"
  member   = local.sa.events
}

# Push subscriptions sign their requests with the events identity's OIDC token, minted by Pub/Sub.
resource "google_service_account_iam_member" "pubsub_token_creator" {
  service_account_id = google_service_account.events.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}

resource "google_cloud_run_service_iam_member" "score_invoker" {
  for_each = toset(var.score_invokers)
  location = var.region
  service  = google_cloudfunctions2_function.score.service_config[0].service
  role     = "roles/run.invoker"
  member   = each.key
}

# A promotion rolls a new scoring revision (ServiceDeployer), so the evaluator deploys that one
# service, as the scoring identity.
resource "google_cloud_run_service_iam_member" "score_deployer_evaluator" {
  location = var.region
  service  = google_cloudfunctions2_function.score.service_config[0].service
  role     = "roles/run.developer"
  member   = local.sa.evaluator
}

resource "google_service_account_iam_member" "score_act_as_evaluator" {
  service_account_id = google_service_account.score.name
  role               = "roles/iam.serviceAccountUser"
  member             = local.sa.evaluator
}

# ---------------------------------------------------------------- platform service agents

# Eventarc's Cloud Storage trigger needs the storage service agent to publish bucket notifications.
data "google_storage_project_service_account" "gcs" {}

resource "google_project_iam_member" "gcs_agent_publisher" {
  project = var.project_id
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
}

# The role Google documents for a custom build service account of Cloud Functions.
resource "google_project_iam_member" "build_builder" {
  project = var.project_id
  role    = "roles/cloudbuild.builds.builder"
  member  = local.sa.build
}
