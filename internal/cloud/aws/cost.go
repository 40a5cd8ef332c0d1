package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// CUR 2.0 Data Exports deliver to
// s3://<bucket>/<prefix>/<export>/metadata/BILLING_PERIOD=YYYY-MM/<export>-Manifest.json and
// s3://<bucket>/<prefix>/<export>/data/BILLING_PERIOD=YYYY-MM/<export>-NNNNN.snappy.parquet.
var manifestKeyRE = regexp.MustCompile(`(?:^|/)([^/]+)/metadata/BILLING_PERIOD=(\d{4}-\d{2})/[^/]*[Mm]anifest\.json$`)

func (p *Provider) exportClient(ctx context.Context, conn cloud.Connection) (*s3.Client, *cloud.AWSConnection, error) {
	a, err := p.connection(conn)
	if err != nil {
		return nil, nil, err
	}
	if a.ExportBucket == "" {
		return nil, nil, valdrix.FieldError("aws.export_bucket", "no CUR 2.0 export bucket is configured for this connection")
	}
	if err := p.assume(ctx, conn); err != nil {
		return nil, nil, err
	}
	return s3.NewFromConfig(p.config(conn, a.ExportRegion), func(o *s3.Options) { o.UsePathStyle = p.cfg.Endpoint != "" }), a, nil
}

// ListBillingPeriods implements cloud.CostSource: it lists the CUR 2.0
// manifests under the export prefix, one period per month (the newest
// delivery wins), oldest first.
func (p *Provider) ListBillingPeriods(ctx context.Context, conn cloud.Connection) ([]cloud.BillingPeriod, error) {
	client, a, err := p.exportClient(ctx, conn)
	if err != nil {
		return nil, err
	}
	byMonth := map[valdrix.Month]cloud.BillingPeriod{}
	prefix := strings.TrimSuffix(a.ExportPrefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	pg := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: awssdk.String(a.ExportBucket), Prefix: awssdk.String(prefix)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return nil, translate(err, "s3:ListBucket", "list the export bucket s3://"+a.ExportBucket+"/"+prefix)
		}
		for _, o := range out.Contents {
			key := awssdk.ToString(o.Key)
			m := manifestKeyRE.FindStringSubmatch(key)
			if m == nil {
				continue
			}
			month, err := valdrix.ParseMonth("billing_period", m[2])
			if err != nil {
				continue
			}
			bp := cloud.BillingPeriod{Period: month, Format: cloud.FormatCUR2, ExportName: m[1], ManifestKey: key}
			if o.LastModified != nil {
				bp.LastModified = o.LastModified.UTC()
			}
			if old, ok := byMonth[month]; !ok || bp.LastModified.After(old.LastModified) {
				byMonth[month] = bp
			}
		}
	}
	periods := make([]cloud.BillingPeriod, 0, len(byMonth))
	for _, bp := range byMonth {
		periods = append(periods, bp)
	}
	slices.SortFunc(periods, func(x, y cloud.BillingPeriod) int { return int(x.Period - y.Period) })
	return periods, nil
}

// FetchBillingPeriod implements cloud.CostSource: it downloads the period's
// manifest and every data file it lists into dir.
func (p *Provider) FetchBillingPeriod(ctx context.Context, conn cloud.Connection, period valdrix.Month, dir string) (cloud.BillingFiles, error) {
	periods, err := p.ListBillingPeriods(ctx, conn)
	if err != nil {
		return cloud.BillingFiles{}, err
	}
	i := slices.IndexFunc(periods, func(bp cloud.BillingPeriod) bool { return bp.Period == period })
	if i < 0 {
		return cloud.BillingFiles{}, valdrix.Errorf(valdrix.ENOTFOUND, "the export has no billing data for %s", period)
	}
	bp := periods[i]
	client, a, err := p.exportClient(ctx, conn)
	if err != nil {
		return cloud.BillingFiles{}, err
	}
	files := cloud.BillingFiles{BillingPeriod: bp, Manifest: filepath.Join(dir, path.Base(bp.ManifestKey))}
	if err := p.download(ctx, client, a.ExportBucket, bp.ManifestKey, files.Manifest); err != nil {
		return cloud.BillingFiles{}, err
	}
	raw, err := os.ReadFile(files.Manifest)
	if err != nil {
		return cloud.BillingFiles{}, fmt.Errorf("read manifest: %w", err)
	}
	var man struct {
		DataFiles []json.RawMessage `json:"dataFiles"`
	}
	if err := json.Unmarshal(raw, &man); err != nil {
		return cloud.BillingFiles{}, valdrix.Wrap(valdrix.EINVALID, err, "the CUR 2.0 manifest %s is not valid JSON", bp.ManifestKey)
	}
	for n, rawFile := range man.DataFiles {
		var ref string
		if json.Unmarshal(rawFile, &ref) != nil {
			var obj struct{ Key, Path string }
			_ = json.Unmarshal(rawFile, &obj)
			ref = cmpOr(obj.Key, obj.Path)
		}
		bucket, key := a.ExportBucket, ref
		if rest, ok := strings.CutPrefix(ref, "s3://"); ok {
			bucket, key, _ = strings.Cut(rest, "/")
		}
		if key == "" || bucket != a.ExportBucket {
			return cloud.BillingFiles{}, valdrix.Errorf(valdrix.EINVALID, "the manifest %s lists a data file outside the export bucket: %q", bp.ManifestKey, ref)
		}
		local := filepath.Join(dir, fmt.Sprintf("%05d-%s", n, path.Base(key)))
		if err := p.download(ctx, client, bucket, key, local); err != nil {
			return cloud.BillingFiles{}, err
		}
		files.DataFiles = append(files.DataFiles, local)
	}
	files.FileCount = len(files.DataFiles)
	return files, nil
}

func (p *Provider) download(ctx context.Context, client *s3.Client, bucket, key, local string) error {
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: awssdk.String(bucket), Key: awssdk.String(key)})
	if err != nil {
		return translate(err, "s3:GetObject", "read s3://"+bucket+"/"+key)
	}
	defer out.Body.Close()
	f, err := os.OpenFile(local, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", local, err)
	}
	if _, err := io.Copy(f, out.Body); err != nil {
		_ = f.Close()
		return translate(err, "s3:GetObject", "download s3://"+bucket+"/"+key)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", local, err)
	}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
