locals {
  content_types = {
    css   = "text/css; charset=utf-8"
    html  = "text/html; charset=utf-8"
    ico   = "image/x-icon"
    js    = "text/javascript; charset=utf-8"
    json  = "application/json"
    mjs   = "text/javascript; charset=utf-8"
    png   = "image/png"
    svg   = "image/svg+xml"
    txt   = "text/plain; charset=utf-8"
    wasm  = "application/wasm"
    wav   = "audio/wav"
    webp  = "image/webp"
    woff2 = "font/woff2"
  }
  web_files = fileset(var.web.source_dir, "**")
}

resource "google_storage_bucket" "web" {
  #checkov:skip=CKV_GCP_62:Access logs for the static site come from the load balancer's request log.
  #checkov:skip=CKV_GCP_114:The static site is public by design: a backend bucket serves only publicly readable objects.
  project                     = var.project_id
  name                        = var.web.bucket_name
  location                    = var.web.location
  uniform_bucket_level_access = true
  public_access_prevention    = "inherited"

  versioning {
    enabled = true
  }

  website {
    main_page_suffix = "index.html"
    not_found_page   = var.web.not_found_page
  }
}

# The one allUsers grant on storage: a backend bucket serves only public objects.
resource "google_storage_bucket_iam_member" "web_public" {
  #checkov:skip=CKV_GCP_28:The static site (web/, no data) is public by design behind the load balancer.
  bucket = google_storage_bucket.web.name
  role   = "roles/storage.objectViewer"
  member = "allUsers"
}

resource "google_storage_bucket_object" "web" {
  for_each      = local.web_files
  bucket        = google_storage_bucket.web.name
  name          = each.value
  source        = "${var.web.source_dir}/${each.value}"
  content_type  = lookup(local.content_types, lower(element(split(".", each.value), length(split(".", each.value)) - 1)), "application/octet-stream")
  cache_control = endswith(each.value, ".html") ? "no-cache" : "public, max-age=300"
}
