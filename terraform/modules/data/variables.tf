variable "project_id" {
  description = "Project that hosts the data services."
  type        = string
}

variable "region" {
  description = "Region of Cloud SQL and Cloud Scheduler."
  type        = string
}

variable "database" {
  description = "Cloud SQL for PostgreSQL, reached through the Cloud SQL Python connector."
  type = object({
    instance_name       = optional(string, "convonet")
    database_name       = optional(string, "convonet")
    version             = optional(string, "POSTGRES_15")
    tier                = optional(string, "db-custom-1-3840")
    edition             = optional(string, "ENTERPRISE")
    availability_type   = optional(string, "ZONAL")
    disk_size_gb        = optional(number, 10)
    deletion_protection = optional(bool, true)
    backup_start_time   = optional(string, "03:00")
    retained_backups    = optional(number, 14)
  })
  default  = {}
  nullable = false
  validation {
    condition     = contains(["ZONAL", "REGIONAL"], var.database.availability_type)
    error_message = "availability_type is ZONAL or REGIONAL."
  }
}

variable "firestore" {
  description = <<-EOT
    Firestore (Native) for operational state. Documents written with a TTL carry `_expires_at`;
    a TTL policy per collection group lets Firestore delete them. Collection groups are the
    StateStore collection names prefixed by STATE_NAMESPACE.
  EOT
  type = object({
    location            = string
    ttl_collections     = optional(list(string), [])
    deletion_protection = optional(bool, true)
    indexes = optional(list(object({
      collection = string
      fields = list(object({
        field_path = string
        order      = optional(string, "ASCENDING")
      }))
    })), [])
  })
}

variable "topics" {
  description = "Pub/Sub topics; each gets a <topic>-dead-letter topic that keeps what could not be delivered."
  type        = list(string)
  nullable    = false
}

variable "dead_letter_retention" {
  description = "How long undeliverable messages wait on the dead-letter hold subscriptions."
  type        = string
  default     = "604800s"
}

variable "secrets" {
  description = "Secret Manager secret ids to declare. Values are added out of band, never through Terraform."
  type        = list(string)
  nullable    = false
}

variable "pubsub_service_agent" {
  description = "The project's Pub/Sub service agent, which publishes dead letters."
  type        = string
}

variable "reminders" {
  description = "Cloud Scheduler job that publishes a tick to the reminders topic."
  type = object({
    topic     = optional(string, "reminders-due")
    schedule  = optional(string, "* * * * *")
    time_zone = optional(string, "Etc/UTC")
  })
  default  = {}
  nullable = false
}
