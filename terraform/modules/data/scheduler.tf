resource "google_cloud_scheduler_job" "reminders" {
  project     = var.project_id
  region      = var.region
  name        = "${var.reminders.topic}-tick"
  description = "Publishes a tick to ${var.reminders.topic}; dispatch_reminders sends what has fallen due."
  schedule    = var.reminders.schedule
  time_zone   = var.reminders.time_zone

  pubsub_target {
    topic_name = google_pubsub_topic.this[var.reminders.topic].id
    data       = base64encode(jsonencode({ source = "cloud-scheduler", job = "${var.reminders.topic}-tick" }))
    attributes = { origin = "cloud-scheduler" }
  }
}
