# One identity per component, each allowed only what its code does.

resource "google_service_account" "ingest" {
  account_id   = "${var.name_prefix}-ingest"
  display_name = "mloop onDataUploaded: validates and versions uploaded datasets"
}

resource "google_service_account" "launcher" {
  account_id   = "${var.name_prefix}-launcher"
  display_name = "mloop onTrainingRequested: creates runs and runs the training job"
}

resource "google_service_account" "evaluator" {
  account_id   = "${var.name_prefix}-evaluator"
  display_name = "mloop onTrainingCompleted: champion/challenger and promotion"
}

resource "google_service_account" "monitor" {
  account_id   = "${var.name_prefix}-monitor"
  display_name = "mloop onMonitoringTick: reconciles runs"
}

resource "google_service_account" "drift" {
  account_id   = "${var.name_prefix}-drift"
  display_name = "mloop onDriftDetected: requests retraining"
}

resource "google_service_account" "watch" {
  account_id   = "${var.name_prefix}-bq-watch"
  display_name = "mloop onTableChanged: requests snapshots of BigQuery-sourced models whose table changed"
}

resource "google_service_account" "score" {
  account_id   = "${var.name_prefix}-score"
  display_name = "mloop scoring service: serves the versions its revision was deployed with"
}

resource "google_service_account" "rollout" {
  account_id   = "${var.name_prefix}-rollout"
  display_name = "mloop onModelPromoted: deploys the scoring service's revisions and traffic"
}

resource "google_service_account" "dashboard" {
  account_id   = "${var.name_prefix}-dashboard"
  display_name = "mloop dashboard: shows the loop, moves versions, redelivers dead letters"
}

resource "google_service_account" "train" {
  account_id   = "${var.name_prefix}-train"
  display_name = "mloop train job"
}

# What Eventarc and the Pub/Sub push subscriptions present to the event functions.
resource "google_service_account" "events" {
  account_id   = "${var.name_prefix}-events"
  display_name = "mloop event delivery: invokes the event functions"
}

# Builds the functions from their source zip instead of the project's default compute identity.
resource "google_service_account" "build" {
  account_id   = "${var.name_prefix}-build"
  display_name = "mloop function builds"
}
