resource "google_sql_database_instance" "this" {
  #checkov:skip=CKV_GCP_60:Public IP with no authorized networks: only the Cloud SQL connector (IAM-authorised mTLS) connects, so serverless needs no VPC connector.
  #checkov:skip=CKV_GCP_79:PostgreSQL 15 is the version the test suite runs against; upgrade both together.
  project             = var.project_id
  region              = var.region
  name                = var.database.instance_name
  database_version    = var.database.version
  deletion_protection = var.database.deletion_protection

  settings {
    tier                        = var.database.tier
    edition                     = var.database.edition
    availability_type           = var.database.availability_type
    disk_size                   = var.database.disk_size_gb
    disk_autoresize             = true
    deletion_protection_enabled = var.database.deletion_protection

    ip_configuration {
      ipv4_enabled = true
      ssl_mode     = "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"
    }

    backup_configuration {
      enabled                        = true
      start_time                     = var.database.backup_start_time
      point_in_time_recovery_enabled = true
      backup_retention_settings {
        retained_backups = var.database.retained_backups
      }
    }

    database_flags {
      name  = "cloudsql.iam_authentication"
      value = "on"
    }
    database_flags {
      name  = "log_checkpoints"
      value = "on"
    }
    database_flags {
      name  = "log_connections"
      value = "on"
    }
    database_flags {
      name  = "log_disconnections"
      value = "on"
    }
    database_flags {
      name  = "log_lock_waits"
      value = "on"
    }
    database_flags {
      name  = "log_min_messages"
      value = "error"
    }
    database_flags {
      name  = "log_temp_files"
      value = "0"
    }
    database_flags {
      name  = "log_min_duration_statement"
      value = "-1"
    }

    insights_config {
      query_insights_enabled = true
    }
  }
}

resource "google_sql_database" "this" {
  project  = var.project_id
  instance = google_sql_database_instance.this.name
  name     = var.database.database_name
}
