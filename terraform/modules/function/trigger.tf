# Pub/Sub push subscriptions rather than `event_trigger`: a gen2 function has one event
# trigger and Eventarc's managed subscription takes no dead-letter policy. Pushing to
# <uri>/projects/P/topics/T lets functions-framework build the same messagePublished
# CloudEvent (source //pubsub.googleapis.com/projects/P/topics/T) that Eventarc delivers.
locals {
  triggers = var.trigger_config == null ? {} : var.trigger_config.topics
}

resource "google_service_account" "trigger" {
  count        = var.trigger_config == null ? 0 : 1
  project      = var.project_id
  account_id   = "ev-${local.name}"
  display_name = "Pub/Sub push to ${var.name}"
  description  = "Identity Pub/Sub uses to invoke the ${var.name} function."
}

resource "google_cloud_run_service_iam_member" "trigger" {
  count    = var.trigger_config == null ? 0 : 1
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.this.name
  role     = "roles/run.invoker"
  member   = google_service_account.trigger[0].member
}

# Pub/Sub mints the push OIDC tokens as the trigger service account.
resource "google_service_account_iam_member" "trigger_token_creator" {
  count              = var.trigger_config == null ? 0 : 1
  service_account_id = google_service_account.trigger[0].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${var.trigger_config.pubsub_service_agent}"
}

resource "google_pubsub_subscription" "trigger" {
  for_each                   = local.triggers
  project                    = var.project_id
  name                       = "${local.name}-${each.key}"
  topic                      = each.value.topic
  ack_deadline_seconds       = min(600, max(10, var.service.timeout_s))
  message_retention_duration = "86400s"

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.this.service_config[0].uri}/projects/${var.project_id}/topics/${each.key}"
    oidc_token {
      service_account_email = google_service_account.trigger[0].email
      audience              = google_cloudfunctions2_function.this.service_config[0].uri
    }
  }

  retry_policy {
    minimum_backoff = each.value.minimum_backoff
    maximum_backoff = each.value.maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = each.value.dead_letter_topic
    max_delivery_attempts = each.value.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [google_cloud_run_service_iam_member.trigger]
}

# Dead-lettering needs the Pub/Sub service agent to acknowledge on the source subscription.
resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each     = local.triggers
  project      = var.project_id
  subscription = google_pubsub_subscription.trigger[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:${var.trigger_config.pubsub_service_agent}"
}
