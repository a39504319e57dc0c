# One serverless NEG per backend. Retargeting a NEG replaces it, up to the URL map.
resource "google_compute_region_network_endpoint_group" "this" {
  for_each              = var.routes
  project               = var.project_id
  region                = var.region
  name                  = "${var.name}-${replace(each.key, "_", "-")}"
  network_endpoint_type = "SERVERLESS"

  dynamic "cloud_function" {
    for_each = each.value.kind == "function" ? [each.value.target] : []
    content {
      function = cloud_function.value
    }
  }

  dynamic "cloud_run" {
    for_each = each.value.kind == "service" ? [each.value.target] : []
    content {
      service = cloud_run.value
    }
  }
}
