locals {
  sa = {
    ingest    = "serviceAccount:${google_service_account.ingest.email}"
    launcher  = "serviceAccount:${google_service_account.launcher.email}"
    evaluator = "serviceAccount:${google_service_account.evaluator.email}"
    monitor   = "serviceAccount:${google_service_account.monitor.email}"
    drift     = "serviceAccount:${google_service_account.drift.email}"
    watch     = "serviceAccount:${google_service_account.watch.email}"
    score     = "serviceAccount:${google_service_account.score.email}"
    dashboard = "serviceAccount:${google_service_account.dashboard.email}"
    rollout   = "serviceAccount:${google_service_account.rollout.email}"
    train     = "serviceAccount:${google_service_account.train.email}"
    events    = "serviceAccount:${google_service_account.events.email}"
    build     = "serviceAccount:${google_service_account.build.email}"
  }
}

# ---------------------------------------------------------------- Firestore
# Firestore roles exist only for the whole project (database).

resource "google_project_iam_member" "firestore_user" {
  # The dashboard writes too: approve, reject and roll back move versions in the registry.
  for_each = toset(["ingest", "launcher", "evaluator", "monitor", "drift", "train", "dashboard"])
  project  = var.project_id
  role     = "roles/datastore.user"
  member   = local.sa[each.key]
}

# Scoring reads the registry (feedback joins it); onModelPromoted reads it to know what to serve.
resource "google_project_iam_member" "firestore_viewer" {
  for_each = toset(["score", "rollout"])
  project  = var.project_id
  role     = "roles/datastore.viewer"
  member   = local.sa[each.key]
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

# Writers that may create objects under one prefix of a bucket, and nothing else, by identity.
resource "google_storage_bucket_iam_member" "prefix_writer" {
  for_each = {
    # Scoring appends its prediction log.
    score = { bucket = google_storage_bucket.artifacts.name, prefix = "predictions", title = "prediction-log-only" }
    # The monitoring tick writes its drift reports.
    monitor = { bucket = google_storage_bucket.artifacts.name, prefix = "drift", title = "drift-reports-only" }
    # A drift retraining writes its training file (the upload plus the labels).
    drift = { bucket = google_storage_bucket.data.name, prefix = "retrain", title = "retrain-datasets-only" }
  }
  bucket = each.value.bucket
  role   = "roles/storage.objectCreator"
  member = local.sa[each.key]

  condition {
    title      = each.value.title
    expression = "resource.name.startsWith(\"projects/_/buckets/${each.value.bucket}/objects/${each.value.prefix}/\")"
  }
}

# The dashboard reads a run's curves and importance (models/) and the drift reports' files (drift/):
# not the prediction log, and nothing of the data bucket.
resource "google_storage_bucket_iam_member" "artifacts_reader_dashboard" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectViewer"
  member = local.sa.dashboard

  condition {
    title      = "model-files-and-drift-reports-only"
    expression = "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.artifacts.name}/objects/models/\") || resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.artifacts.name}/objects/drift/\")"
  }
}

resource "google_storage_bucket_iam_member" "sources_reader_build" {
  bucket = google_storage_bucket.sources.name
  role   = "roles/storage.objectViewer"
  member = local.sa.build
}

# ---------------------------------------------------------------- Pub/Sub publishers

resource "google_pubsub_topic_iam_member" "publish_training_requested" {
  # Uploads, drift and a changed BigQuery table request training.
  for_each = toset(["ingest", "drift", "watch"])
  topic    = google_pubsub_topic.topic["training-requested"].name
  role     = "roles/pubsub.publisher"
  member   = local.sa[each.key]
}

# A run that ended frees a slot: the evaluator (a completion) and the reconcile pass (a run given up
# on, or requeued) say so on run-slot-freed, which only the launcher consumes.
resource "google_pubsub_topic_iam_member" "publish_run_slot_freed" {
  for_each = toset(["evaluator", "monitor"])
  topic    = google_pubsub_topic.topic["run-slot-freed"].name
  role     = "roles/pubsub.publisher"
  member   = local.sa[each.key]
}

# Topics one component announces (the dashboard's redeliveries aside): a finished run, drift, a promotion.
resource "google_pubsub_topic_iam_member" "topic_publisher" {
  for_each = {
    "training-completed" = "train"
    "drift-detected"     = "monitor"
    "model-promoted"     = "evaluator"
    # In manual promotion mode the evaluator announces a candidate that waits for approval.
    "model-awaiting-approval" = "evaluator"
  }
  topic  = google_pubsub_topic.topic[each.key].name
  role   = "roles/pubsub.publisher"
  member = local.sa[each.value]
}

# The dashboard's actions: a version moved by hand (or a canary ended) is announced on model-promoted; a monitoring pass
# asked for is a tick for onMonitoringTick; a dead letter is redelivered to the topic of the push
# subscription it came from (only those have dead-letter policies).
resource "google_pubsub_topic_iam_member" "publish_dashboard" {
  for_each = toset(["model-promoted", "monitoring-tick", "training-requested", "training-completed", "drift-detected", "run-slot-freed"])
  topic    = google_pubsub_topic.topic[each.key].name
  role     = "roles/pubsub.publisher"
  member   = local.sa.dashboard
}

# Listing dead letters pulls every dead-letter subscription (and puts back what it does not redeliver);
# a subscription it may not pull would fail the whole listing.
resource "google_pubsub_subscription_iam_member" "dead_letter_reader_dashboard" {
  for_each     = toset(local.topics)
  subscription = google_pubsub_subscription.dead_letter[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.sa.dashboard
}

# Finding the dead-letter topics lists the project's topics, which no narrower grant than the project allows.
resource "google_project_iam_member" "pubsub_viewer_dashboard" {
  project = var.project_id
  role    = "roles/pubsub.viewer"
  member  = local.sa.dashboard
}

resource "google_secret_manager_secret_iam_member" "dashboard_api_key" {
  count     = var.dashboard_api_key_secret == null ? 0 : 1
  secret_id = var.dashboard_api_key_secret
  role      = "roles/secretmanager.secretAccessor"
  member    = local.sa.dashboard
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
  for_each = local.pushed_functions
  location = var.region
  service  = google_cloudfunctions2_function.pushed[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = local.sa.events
}

# Eventarc hands BigQuery's audit log entries to onTableChanged as the same identity.
resource "google_cloud_run_service_iam_member" "events_invoker_on_table_changed" {
  location = var.region
  service  = google_cloudfunctions2_function.on_table_changed.service_config[0].service
  role     = "roles/run.invoker"
  member   = local.sa.events
}

# Eventarc hands uploads to onDataUploaded as the same identity.
resource "google_cloud_run_service_iam_member" "events_invoker_on_data_uploaded" {
  location = var.region
  service  = google_cloudfunctions2_function.on_data_uploaded.service_config[0].service
  role     = "roles/run.invoker"
  member   = local.sa.events
}

# Push subscriptions sign their requests with the events identity's OIDC token, minted by Pub/Sub.
resource "google_service_account_iam_member" "pubsub_token_creator" {
  service_account_id = google_service_account.events.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}

resource "google_cloud_run_v2_service_iam_member" "score_invoker" {
  for_each = toset(var.score_invokers)
  location = google_cloud_run_v2_service.score.location
  name     = google_cloud_run_v2_service.score.name
  role     = "roles/run.invoker"
  member   = each.key
}

resource "google_cloud_run_service_iam_member" "dashboard_invoker" {
  for_each = toset(var.dashboard_invokers)
  location = var.region
  service  = google_cloudfunctions2_function.dashboard.service_config[0].service
  role     = "roles/run.invoker"
  member   = each.key
}

# Only onModelPromoted deploys the scoring service (ServiceDeployer: list its revisions, create one,
# move its traffic), as the scoring identity its revisions run as. The evaluator and the dashboard move
# the registry and publish model-promoted; they cannot change what serves.
resource "google_cloud_run_v2_service_iam_member" "score_deployer" {
  location = google_cloud_run_v2_service.score.location
  name     = google_cloud_run_v2_service.score.name
  role     = "roles/run.developer"
  member   = local.sa.rollout
}

resource "google_service_account_iam_member" "score_act_as" {
  service_account_id = google_service_account.score.name
  role               = "roles/iam.serviceAccountUser"
  member             = local.sa.rollout
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
