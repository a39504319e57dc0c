output "sql_instance_name" {
  description = "Cloud SQL instance name (for google_sql_user)."
  value       = google_sql_database_instance.this.name
}

output "sql_connection_name" {
  description = "project:region:instance, the CLOUD_SQL_INSTANCE setting."
  value       = google_sql_database_instance.this.connection_name
}

output "database_name" {
  description = "The application database, the DB_NAME setting."
  value       = google_sql_database.this.name
}

output "topics" {
  description = "Topic ids by name."
  value       = { for name, t in google_pubsub_topic.this : name => t.id }
}

output "dead_letter_topics" {
  description = "Dead-letter topic ids by source topic name."
  value       = { for name, t in google_pubsub_topic.dead_letter : name => t.id }
}

output "dead_letter_subscriptions" {
  description = "Subscriptions holding dead letters, by source topic name."
  value       = { for name, s in google_pubsub_subscription.dead_letter_hold : name => s.name }
}

output "secrets" {
  description = "Secret ids by id (depend on this to order grants after the secrets exist)."
  value       = { for id, s in google_secret_manager_secret.this : id => s.secret_id }
}
