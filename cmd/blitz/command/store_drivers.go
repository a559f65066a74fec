package command

// The blob-store drivers linked into blitz. file:// is always there (package
// bstore imports it). gocloud's drivers for S3 (gocloud.dev/blob/s3blob),
// Google Cloud Storage (gcsblob) and Azure Blob Storage (azureblob) are
// linked by the blitz binary itself (cmd/blitz/drivers.go), not by this
// package, so its tests stay small; they add about 47 MB to the binary.

// cloudSchemesHelp lists, for the help of blitz store, the store URL forms
// linked in besides file://.
const cloudSchemesHelp = ", s3://BUCKET/PREFIX, gs://BUCKET, azblob://CONTAINER (in the blitz binary; credentials from the cloud's usual environment variables)"
