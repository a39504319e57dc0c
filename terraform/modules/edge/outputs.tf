output "ip_address" {
  description = "Point the domains' A records here."
  value       = google_compute_global_address.this.address
}

output "url_map" {
  description = "URL map name."
  value       = google_compute_url_map.this.name
}

output "backend_services" {
  description = "Backend service names by route (for load-balancer metrics)."
  value       = { for name, b in google_compute_backend_service.this : name => b.name }
}

output "web_bucket" {
  description = "Bucket serving web/."
  value       = google_storage_bucket.web.name
}
