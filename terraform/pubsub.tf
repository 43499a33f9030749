# Every topic of shared/core/events.ts but object-finalized: on Google Cloud, uploads reach
# onDataUploaded through Eventarc's Cloud Storage trigger, not a topic of mloop's.
locals {
  topics = [
    "training-requested",
    "training-completed",
    "model-promoted",
    "model-awaiting-approval",
    "monitoring-tick",
    "drift-detected",
    "run-slot-freed",
  ]
  retry_min_backoff = "10s"
  retry_max_backoff = "600s"
  # Unacknowledged messages, and dead letters, are kept for the longest Pub/Sub allows.
  retention    = "604800s"
  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_topic" "topic" {
  for_each   = toset(local.topics)
  name       = each.key
  depends_on = [google_project_service.apis]
}

resource "google_pubsub_topic" "dead_letter" {
  for_each   = toset(local.topics)
  name       = "${each.key}-dead-letter"
  depends_on = [google_project_service.apis]
}

# A message that kept failing stays here, visible (`mloop dlq`), until someone redelivers or drops it.
resource "google_pubsub_subscription" "dead_letter" {
  for_each                   = toset(local.topics)
  name                       = "${each.key}-dead-letter"
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  message_retention_duration = local.retention
  ack_deadline_seconds       = 60

  expiration_policy {
    ttl = ""
  }
}

# Pub/Sub moves a message to a dead-letter topic as its own service agent.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = toset(local.topics)
  topic    = google_pubsub_topic.dead_letter[each.key].name
  role     = "roles/pubsub.publisher"
  member   = local.pubsub_agent
}

# The push subscriptions behind each Pub/Sub-triggered function. mloop owns them, rather than letting
# Eventarc create one per trigger, because an Eventarc-managed subscription has no dead-letter topic:
# a message that keeps failing would be retried for a week and then dropped without a trace.
# The functions receive the push as a CloudEvent (functions-framework converts it), as from Eventarc.
resource "google_pubsub_subscription" "push" {
  for_each                   = local.pushed_functions
  name                       = each.value.name
  topic                      = google_pubsub_topic.topic[each.value.topic].id
  ack_deadline_seconds       = var.ack_deadline_seconds
  message_retention_duration = each.value.message_retention

  push_config {
    push_endpoint = google_cloudfunctions2_function.pushed[each.key].service_config[0].uri
    oidc_token {
      service_account_email = google_service_account.events.email
    }
  }

  retry_policy {
    minimum_backoff = local.retry_min_backoff
    maximum_backoff = local.retry_max_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.value.topic].id
    max_delivery_attempts = var.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }
}

# Forwarding to a dead-letter topic also needs the service agent to acknowledge on the source.
resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each     = local.pushed_functions
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}
