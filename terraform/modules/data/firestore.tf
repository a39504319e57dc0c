resource "google_firestore_database" "this" {
  project                           = var.project_id
  name                              = "(default)"
  location_id                       = var.firestore.location
  type                              = "FIRESTORE_NATIVE"
  concurrency_mode                  = "OPTIMISTIC"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = var.firestore.deletion_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
}

# TTL policies on the expiry field the StateStore writes (`convonet.state.base.EXPIRES_FIELD`).
resource "google_firestore_field" "ttl" {
  for_each   = toset(var.firestore.ttl_collections)
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = each.value
  field      = "_expires_at"

  ttl_config {}

  # Expiry timestamps grow monotonically; indexing them would only cost writes.
  index_config {}
}

resource "google_firestore_index" "this" {
  for_each   = { for index in var.firestore.indexes : "${index.collection}:${join(",", index.fields[*].field_path)}" => index }
  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = each.value.collection

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path = fields.value.field_path
      order      = fields.value.order
    }
  }
}
