# Addresses renamed when near-copies became one resource with for_each: Terraform moves what an existing
# deployment has in its state to the new address instead of destroying and recreating it (a function, a
# subscription with its unacknowledged messages, a grant). test/unit/terraform.test.ts checks that every
# `to` is declared and no `from` is.

# The functions Pub/Sub pushes to, their subscriptions, and the grants on them, now keyed by entry point.
moved {
  from = google_cloudfunctions2_function.on_training_requested
  to   = google_cloudfunctions2_function.pushed["onTrainingRequested"]
}

moved {
  from = google_cloudfunctions2_function.on_training_completed
  to   = google_cloudfunctions2_function.pushed["onTrainingCompleted"]
}

moved {
  from = google_cloudfunctions2_function.on_monitoring_tick
  to   = google_cloudfunctions2_function.pushed["onMonitoringTick"]
}

moved {
  from = google_cloudfunctions2_function.on_drift_detected
  to   = google_cloudfunctions2_function.pushed["onDriftDetected"]
}

moved {
  from = google_pubsub_subscription.on_training_requested
  to   = google_pubsub_subscription.push["onTrainingRequested"]
}

moved {
  from = google_pubsub_subscription.on_training_completed
  to   = google_pubsub_subscription.push["onTrainingCompleted"]
}

moved {
  from = google_pubsub_subscription.on_monitoring_tick
  to   = google_pubsub_subscription.push["onMonitoringTick"]
}

moved {
  from = google_pubsub_subscription.on_drift_detected
  to   = google_pubsub_subscription.push["onDriftDetected"]
}

moved {
  from = google_pubsub_subscription_iam_member.dead_letter_subscriber["on_training_requested"]
  to   = google_pubsub_subscription_iam_member.dead_letter_subscriber["onTrainingRequested"]
}

moved {
  from = google_pubsub_subscription_iam_member.dead_letter_subscriber["on_training_completed"]
  to   = google_pubsub_subscription_iam_member.dead_letter_subscriber["onTrainingCompleted"]
}

moved {
  from = google_pubsub_subscription_iam_member.dead_letter_subscriber["on_monitoring_tick"]
  to   = google_pubsub_subscription_iam_member.dead_letter_subscriber["onMonitoringTick"]
}

moved {
  from = google_pubsub_subscription_iam_member.dead_letter_subscriber["on_drift_detected"]
  to   = google_pubsub_subscription_iam_member.dead_letter_subscriber["onDriftDetected"]
}

moved {
  from = google_cloud_run_service_iam_member.events_invoker["on_training_requested"]
  to   = google_cloud_run_service_iam_member.events_invoker["onTrainingRequested"]
}

moved {
  from = google_cloud_run_service_iam_member.events_invoker["on_training_completed"]
  to   = google_cloud_run_service_iam_member.events_invoker["onTrainingCompleted"]
}

moved {
  from = google_cloud_run_service_iam_member.events_invoker["on_monitoring_tick"]
  to   = google_cloud_run_service_iam_member.events_invoker["onMonitoringTick"]
}

moved {
  from = google_cloud_run_service_iam_member.events_invoker["on_drift_detected"]
  to   = google_cloud_run_service_iam_member.events_invoker["onDriftDetected"]
}

moved {
  from = google_cloud_run_service_iam_member.events_invoker["on_data_uploaded"]
  to   = google_cloud_run_service_iam_member.events_invoker_on_data_uploaded
}

# Topics with one publisher.
moved {
  from = google_pubsub_topic_iam_member.publish_training_completed_train
  to   = google_pubsub_topic_iam_member.topic_publisher["training-completed"]
}

moved {
  from = google_pubsub_topic_iam_member.publish_drift_detected_monitor
  to   = google_pubsub_topic_iam_member.topic_publisher["drift-detected"]
}

moved {
  from = google_pubsub_topic_iam_member.publish_model_promoted_evaluator
  to   = google_pubsub_topic_iam_member.topic_publisher["model-promoted"]
}

moved {
  from = google_pubsub_topic_iam_member.publish_model_awaiting_approval_evaluator
  to   = google_pubsub_topic_iam_member.topic_publisher["model-awaiting-approval"]
}

# Writers of one prefix.
moved {
  from = google_storage_bucket_iam_member.predictions_writer_score
  to   = google_storage_bucket_iam_member.prefix_writer["score"]
}

moved {
  from = google_storage_bucket_iam_member.drift_reports_writer_monitor
  to   = google_storage_bucket_iam_member.prefix_writer["monitor"]
}

moved {
  from = google_storage_bucket_iam_member.retrain_writer_drift
  to   = google_storage_bucket_iam_member.prefix_writer["drift"]
}

# Scoring reads the registry, now beside onModelPromoted.
moved {
  from = google_project_iam_member.firestore_viewer_score
  to   = google_project_iam_member.firestore_viewer["score"]
}
