package azure

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
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Cost Management exports (the improved exports, API 2023-07-01 and later)
// deliver a run folder per period:
//
//	<prefix>/<export>/<YYYYMMDD>-<YYYYMMDD>/<run id>/manifest.json
//	<prefix>/<export>/<YYYYMMDD>-<YYYYMMDD>/<run id>/part_<n>_<nnnn>.csv (or .csv.gz, .parquet)
//
// The manifest lists the run's blobs. A period re-delivered (daily
// month-to-date runs, restatements) has several runs; the newest wins.
var manifestRE = regexp.MustCompile(`(?:^|/)([^/]+)/(\d{8})-(\d{8})/([^/]+)/_?manifest\.json$`)

// exportManifest is the part of an export run manifest the adapter reads.
type exportManifest struct {
	ExportConfig struct {
		ExportName string `json:"exportName"`
		Type       string `json:"type"`
	} `json:"exportConfig"`
	RunInfo struct {
		RunID     string `json:"runId"`
		StartDate string `json:"startDate"`
	} `json:"runInfo"`
	Blobs []struct {
		BlobName string `json:"blobName"`
	} `json:"blobs"`
}

// exportClient returns a blob client for the connection's storage account.
func (p *Provider) exportClient(ctx context.Context, conn cloud.Connection) (*azblob.Client, *cloud.AzureConnection, error) {
	a, err := p.connection(conn)
	if err != nil {
		return nil, nil, err
	}
	if a.StorageAccount == "" {
		return nil, nil, valdrix.FieldError("azure.storage_account", "no Cost Management export storage account is configured for this connection")
	}
	cred, err := p.signIn(ctx, conn)
	if err != nil {
		return nil, nil, err
	}
	c, err := azblob.NewClient(p.blobURL(a.StorageAccount), cred, &azblob.ClientOptions{ClientOptions: p.clientOptions(conn.ID, "blob")})
	if err != nil {
		return nil, nil, valdrix.Wrap(valdrix.EINTERNAL, err, "could not build the Blob storage client")
	}
	return c, a, nil
}

func exportPrefix(a *cloud.AzureConnection) string {
	p := strings.Trim(a.ExportPrefix, "/")
	if p != "" {
		p += "/"
	}
	return p
}

// ListBillingPeriods implements cloud.CostSource: it lists the export run
// manifests under the export prefix and returns one period per month (the
// newest run wins), oldest first. Each chosen manifest is read for its
// dataset and file count.
func (p *Provider) ListBillingPeriods(ctx context.Context, conn cloud.Connection) ([]cloud.BillingPeriod, error) {
	client, a, err := p.exportClient(ctx, conn)
	if err != nil {
		return nil, err
	}
	where := "list the export container " + a.StorageAccount + "/" + a.Container
	byMonth := map[valdrix.Month]cloud.BillingPeriod{}
	pager := client.NewListBlobsFlatPager(a.Container, &azblob.ListBlobsFlatOptions{Prefix: to.Ptr(exportPrefix(a))})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, translate(err, actionBlobRead, where)
		}
		for _, b := range page.Segment.BlobItems {
			name := deref(b.Name)
			m := manifestRE.FindStringSubmatch(name)
			if m == nil {
				continue
			}
			start, err := time.Parse("20060102", m[2])
			if err != nil {
				continue
			}
			bp := cloud.BillingPeriod{Period: valdrix.MonthOf(start), Format: cloud.FormatAzure, ExportName: m[1], ManifestKey: name}
			if b.Properties != nil && b.Properties.LastModified != nil {
				bp.LastModified = b.Properties.LastModified.UTC()
			}
			if old, ok := byMonth[bp.Period]; !ok || bp.LastModified.After(old.LastModified) ||
				(bp.LastModified.Equal(old.LastModified) && bp.ManifestKey > old.ManifestKey) {
				byMonth[bp.Period] = bp
			}
		}
	}
	periods := make([]cloud.BillingPeriod, 0, len(byMonth))
	for _, bp := range byMonth {
		man, err := p.readManifest(ctx, client, a, bp.ManifestKey)
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(man.ExportConfig.Type, "FocusCost") {
			bp.Format = cloud.FormatFOCUS
		}
		bp.FileCount = len(man.Blobs)
		periods = append(periods, bp)
	}
	slices.SortFunc(periods, func(x, y cloud.BillingPeriod) int { return int(x.Period - y.Period) })
	return periods, nil
}

func (p *Provider) readManifest(ctx context.Context, client *azblob.Client, a *cloud.AzureConnection, name string) (*exportManifest, error) {
	resp, err := client.DownloadStream(ctx, a.Container, name, nil)
	if err != nil {
		return nil, translate(err, actionBlobRead, "read the export manifest "+name)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, translate(err, actionBlobRead, "read the export manifest "+name)
	}
	var man exportManifest
	if err := json.Unmarshal(raw, &man); err != nil {
		return nil, valdrix.Wrap(valdrix.EINVALID, err, "the export manifest %s is not valid JSON", name)
	}
	return &man, nil
}

// FetchBillingPeriod implements cloud.CostSource: it downloads the
// period's newest run manifest and every blob it lists into dir.
func (p *Provider) FetchBillingPeriod(ctx context.Context, conn cloud.Connection, period valdrix.Month, dir string) (cloud.BillingFiles, error) {
	bp, err := cloud.LookupPeriod(ctx, p, conn, period)
	if err != nil {
		return cloud.BillingFiles{}, err
	}
	client, a, err := p.exportClient(ctx, conn)
	if err != nil {
		return cloud.BillingFiles{}, err
	}
	files := cloud.BillingFiles{BillingPeriod: bp, Manifest: filepath.Join(dir, path.Base(bp.ManifestKey))}
	if err := p.download(ctx, client, a.Container, bp.ManifestKey, files.Manifest); err != nil {
		return cloud.BillingFiles{}, err
	}
	raw, err := os.ReadFile(files.Manifest)
	if err != nil {
		return cloud.BillingFiles{}, fmt.Errorf("read manifest: %w", err)
	}
	var man exportManifest
	if err := json.Unmarshal(raw, &man); err != nil {
		return cloud.BillingFiles{}, valdrix.Wrap(valdrix.EINVALID, err, "the export manifest %s is not valid JSON", bp.ManifestKey)
	}
	runDir := path.Dir(bp.ManifestKey)
	for n, b := range man.Blobs {
		name := strings.TrimPrefix(b.BlobName, "/")
		if cont, rest, ok := strings.Cut(name, "/"); ok && cont == a.Container && !strings.HasPrefix(name, runDir) {
			name = rest // some manifests name blobs with their container
		}
		if name == "" || strings.Contains(name, "..") {
			return cloud.BillingFiles{}, valdrix.Errorf(valdrix.EINVALID, "the manifest %s lists an invalid blob name %q", bp.ManifestKey, b.BlobName)
		}
		local := filepath.Join(dir, fmt.Sprintf("%05d-%s", n, path.Base(name)))
		if err := p.download(ctx, client, a.Container, name, local); err != nil {
			return cloud.BillingFiles{}, err
		}
		files.DataFiles = append(files.DataFiles, local)
	}
	files.FileCount = len(files.DataFiles)
	return files, nil
}

func (p *Provider) download(ctx context.Context, client *azblob.Client, container, name, local string) error {
	resp, err := client.DownloadStream(ctx, container, name, nil)
	if err != nil {
		return translate(err, actionBlobRead, "read "+container+"/"+name)
	}
	body := resp.NewRetryReader(ctx, &azblob.RetryReaderOptions{MaxRetries: 3})
	defer body.Close()
	f, err := os.OpenFile(local, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", local, err)
	}
	if _, err := io.Copy(f, body); err != nil {
		_ = f.Close()
		return translate(err, actionBlobRead, "download "+container+"/"+name)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", local, err)
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
