# ---------------------------------------------------------------- BigQuery as a source
# A model whose mloop.json names source.bigquery trains on a snapshot of a table or query: the launcher
# (onTrainingRequested) runs EXPORT DATA as a query job, which writes Parquet files under bigquery/ in
# the data bucket with the launcher's own credentials, then reads them back to validate and version them.

# Running query jobs in the project. It reads nothing by itself: the datasets below are all it may read.
resource "google_project_iam_member" "bigquery_job_user" {
  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = local.sa.launcher
}

resource "google_bigquery_dataset_iam_member" "source_viewer" {
  for_each   = toset(var.bigquery_source_datasets)
  project    = split(".", each.key)[0]
  dataset_id = split(".", each.key)[1]
  role       = "roles/bigquery.dataViewer"
  member     = local.sa.launcher
}

# The export's files and manifest, under bigquery/ only. EXPORT DATA's overwrite deletes what an earlier
# attempt of the same job wrote, hence objectUser; listing is a bucket-level check, so names (not
# contents) of the rest of the bucket are visible to it.
resource "google_storage_bucket_iam_member" "bigquery_exports" {
  bucket = google_storage_bucket.data.name
  role   = "roles/storage.objectUser"
  member = local.sa.launcher

  condition {
    title      = "bigquery-exports-only"
    expression = "resource.type == \"storage.googleapis.com/Bucket\" || resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.data.name}/objects/bigquery/\")"
  }
}

# The model's mloop.json, which says what to query: nothing else under datasets/.
resource "google_storage_bucket_iam_member" "model_config_reader" {
  bucket = google_storage_bucket.data.name
  role   = "roles/storage.objectViewer"
  member = local.sa.launcher

  condition {
    title      = "model-configs-only"
    expression = "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.data.name}/objects/datasets/\") && resource.name.endsWith(\"/mloop.json\")"
  }
}

# A new snapshot on a schedule: each tick publishes the same payload, which onTrainingRequested turns into
# a request named by the message's id, as of its publish time.
resource "google_cloud_scheduler_job" "bigquery_snapshot" {
  for_each  = var.bigquery_schedules
  name      = "${var.name_prefix}-snapshot-${each.key}"
  region    = var.region
  schedule  = each.value
  time_zone = "Etc/UTC"

  pubsub_target {
    topic_name = google_pubsub_topic.topic["training-requested"].id
    data       = base64encode(jsonencode({ model = each.key, source = "bigquery", reason = "schedule" }))
    attributes = { model = each.key }
  }

  depends_on = [google_project_service.apis]
}

# A new snapshot when a source table's rows change: BigQuery logs each job that changes a table's data
# (a tableDataChange in its Data Access audit log, which BigQuery writes without being asked), and
# Eventarc hands those entries to onTableChanged, which asks each model reading the table for a run.
# Trigger location global: BigQuery datasets live in multi-regions (EU, US) as well as regions.
resource "google_cloudfunctions2_function" "on_table_changed" {
  name     = "${var.name_prefix}-on-table-changed"
  location = var.region

  build_config {
    runtime         = local.runtime
    entry_point     = "onTableChanged"
    service_account = local.build_service_account
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.functions["onTableChanged"].name
      }
    }
  }

  service_config {
    service_account_email = google_service_account.watch.email
    available_memory      = "256Mi"
    timeout_seconds       = 60
    max_instance_count    = 2
    ingress_settings      = "ALLOW_INTERNAL_ONLY"
    environment_variables = local.base_env
  }

  event_trigger {
    trigger_region        = "global"
    event_type            = "google.cloud.audit.log.v1.written"
    retry_policy          = "RETRY_POLICY_RETRY"
    service_account_email = google_service_account.events.email
    event_filters {
      attribute = "serviceName"
      value     = "bigquery.googleapis.com"
    }
    # Jobs (queries with DML or a destination, loads, copies): not streaming writes, which would ask
    # for a run per batch.
    event_filters {
      attribute = "methodName"
      value     = "google.cloud.bigquery.v2.JobService.InsertJob"
    }
  }

  depends_on = [google_project_iam_member.events_receiver, google_project_iam_member.build_builder]
}

# Which models read the changed table is in their mloop.json: it lists the bucket and reads those
# files, nothing else of it.
resource "google_storage_bucket_iam_member" "table_watch_configs" {
  bucket = google_storage_bucket.data.name
  role   = "roles/storage.objectViewer"
  member = local.sa.watch

  condition {
    title      = "model-configs-only"
    expression = "resource.type == \"storage.googleapis.com/Bucket\" || (resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.data.name}/objects/datasets/\") && resource.name.endsWith(\"/mloop.json\"))"
  }
}

# ---------------------------------------------------------------- predictions queryable in BigQuery
# External tables over what the scoring service and feedback files already write: no copy, no load job.
# The prediction log is laid out predictions/dt=YYYY-MM-DD/model=<model>/<batch>.ndjson, so its table is
# hive-partitioned by dt and model as it stands (a challenger's shadow scores are model=<model>@shadow).
# Feedback files are feedback/<model>/<file>.csv, not key=value folders: that table is not partitioned,
# and a file's model is in its path (_FILE_NAME).

locals {
  bigquery_location = coalesce(var.bigquery_location, var.region)
}

resource "google_bigquery_dataset" "predictions" {
  dataset_id  = replace("${var.name_prefix}_predictions", "-", "_")
  location    = local.bigquery_location
  description = "mloop's prediction log and feedback files, as external tables over Cloud Storage."
  depends_on  = [google_project_service.apis]
}

resource "google_bigquery_table" "predictions" {
  dataset_id          = google_bigquery_dataset.predictions.dataset_id
  table_id            = "predictions"
  description         = "One row per scored instance (served traffic and shadow scores); features are left out, as they differ per model."
  deletion_protection = false

  external_data_configuration {
    autodetect            = false
    source_format         = "NEWLINE_DELIMITED_JSON"
    source_uris           = ["gs://${google_storage_bucket.artifacts.name}/predictions/*"]
    ignore_unknown_values = true
    # dt and model come from the path; the record's own model field is left out so the two never disagree.
    schema = jsonencode([
      { name = "request_id", type = "STRING" },
      { name = "index", type = "INT64" },
      { name = "model_version", type = "STRING" },
      { name = "time", type = "TIMESTAMP" },
      { name = "shadow", type = "BOOL" },
      {
        name = "prediction", type = "RECORD", fields = [
          # label is left out: a number for a binary model, a string for classes
          { name = "score", type = "FLOAT64" },
          { name = "value", type = "FLOAT64" },
          { name = "cluster", type = "INT64" },
          { name = "anomaly_score", type = "FLOAT64" },
        ]
      },
    ])

    hive_partitioning_options {
      mode                     = "CUSTOM"
      source_uri_prefix        = "gs://${google_storage_bucket.artifacts.name}/predictions/{dt:DATE}/{model:STRING}"
      require_partition_filter = true
    }
  }
}

resource "google_bigquery_table" "feedback" {
  dataset_id          = google_bigquery_dataset.predictions.dataset_id
  table_id            = "feedback"
  description         = "Labels from feedback files (feedback/<model>/*.csv: request_id,label[,index]); labels posted to /feedback are in Firestore."
  deletion_protection = false

  external_data_configuration {
    autodetect    = false
    source_format = "CSV"
    source_uris   = ["gs://${google_storage_bucket.data.name}/feedback/*"]
    schema = jsonencode([
      { name = "request_id", type = "STRING" },
      { name = "label", type = "INT64" },
      { name = "index", type = "INT64" },
    ])

    csv_options {
      quote             = "\""
      skip_leading_rows = 1
      # index is optional: a file of request_id,label has one column fewer.
      allow_jagged_rows = true
    }
  }
}
