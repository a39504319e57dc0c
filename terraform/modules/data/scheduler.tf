resource "google_cloud_scheduler_job" "reminders" {
  project     = var.project_id
  region      = var.region
  name        = "${var.reminders.topic}-tick"
  description = "Publishes a tick to ${var.reminders.topic}; dispatch_reminders sends what has fallen due."
  schedule    = var.reminders.schedule
  time_zone   = var.reminders.time_zone

  pubsub_target {
    topic_name = google_pubsub_topic.this[var.reminders.topic].id
    # The body is a RemindersDueEvent (convonet.events.schemas) with no scheduled_at.
    data       = base64encode(jsonencode({ schema_version = 1, event_id = "scheduler-tick" }))
    attributes = { origin = "cloud-scheduler", schema_version = "1", event_type = "convonet.RemindersDueEvent.v1" }
  }
}
