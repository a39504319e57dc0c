resource "google_pubsub_topic" "this" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption is accepted for event payloads; CMEK is a later decision.
  for_each                   = toset(var.topics)
  project                    = var.project_id
  name                       = each.value
  message_retention_duration = "86400s"
}

resource "google_pubsub_topic" "dead_letter" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption is accepted for event payloads; CMEK is a later decision.
  for_each = toset(var.topics)
  project  = var.project_id
  name     = "${each.value}-dead-letter"
}

# A topic without a subscription drops what is published: this one keeps dead letters for
# inspection and replay (see docs/DEPLOY.md).
resource "google_pubsub_subscription" "dead_letter_hold" {
  for_each                   = toset(var.topics)
  project                    = var.project_id
  name                       = "${each.value}-dead-letter-hold"
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  message_retention_duration = var.dead_letter_retention
  retain_acked_messages      = false
  ack_deadline_seconds       = 60

  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = toset(var.topics)
  project  = var.project_id
  topic    = google_pubsub_topic.dead_letter[each.key].name
  role     = "roles/pubsub.publisher"
  member   = "serviceAccount:${var.pubsub_service_agent}"
}
