package command

// The blob-store drivers linked into blitz. file:// is always there (package
// bstore imports it). gocloud's drivers for S3 (gocloud.dev/blob/s3blob),
// Google Cloud Storage (gcsblob) and Azure Blob Storage (azureblob) are not
// linked: together they add about 47 MB to the binary (S3 alone about 12
// MB) and some 56 modules to go.mod. Linking one is a blank import here
// plus "go get" of the driver package, and a mention in cloudSchemesHelp;
// package bstore needs no change.

// cloudSchemesHelp lists, for the help of blitz store, the store URL forms
// linked in besides file://.
const cloudSchemesHelp = ""
