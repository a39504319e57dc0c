# Named by the bundle's hash: a changed bundle is a new object, and only that function rebuilds.
resource "google_storage_bucket_object" "bundle" {
  bucket = var.bundle.bucket
  name   = "functions/${local.name}/${var.bundle.sha256}.zip"
  source = var.bundle.path
}
