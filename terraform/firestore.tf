resource "google_firestore_database" "main" {
  name        = "(default)"
  location_id = coalesce(var.firestore_location, var.region)
  type        = "FIRESTORE_NATIVE"
  depends_on  = [google_project_service.apis]
}

# The composite indexes behind the queries of shared/pipeline (test/unit/terraform.test.ts checks that
# every query that needs one has it). Equality-only and single-field queries use Firestore's automatic
# indexes.

# The dispatcher claims the oldest queued run.
resource "google_firestore_index" "runs_by_status" {
  database   = google_firestore_database.main.name
  collection = "runs"

  fields {
    field_path = "status"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "ASCENDING"
  }
}

# `mloop runs --model <name>`.
resource "google_firestore_index" "runs_by_model" {
  database   = google_firestore_database.main.name
  collection = "runs"

  fields {
    field_path = "model"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "ASCENDING"
  }
}

# GET /api/runs?model=<name> (`mloop runs --model`): one model's runs, newest first, paged.
resource "google_firestore_index" "runs_by_model_newest" {
  database   = google_firestore_database.main.name
  collection = "runs"

  fields {
    field_path = "model"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "DESCENDING"
  }
}

# onDriftDetected retrains on the model's newest accepted dataset.
resource "google_firestore_index" "datasets_latest_accepted" {
  database   = google_firestore_database.main.name
  collection = "datasets"

  fields {
    field_path = "model"
    order      = "ASCENDING"
  }
  fields {
    field_path = "status"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "DESCENDING"
  }
}

# The admin API's /drift/history?model=<name> (the dashboard): one model's reports, oldest first.
resource "google_firestore_index" "drift_reports_by_model" {
  database   = google_firestore_database.main.name
  collection = "drift_reports"

  fields {
    field_path = "model"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "ASCENDING"
  }
}
