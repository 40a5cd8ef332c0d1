package ingestion_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// checkRead is the invariant every reader keeps on any input: no panic, and
// either a clean result or an EINVALID error that locates the problem.
func checkRead(t *testing.T, data []byte, format ingestion.Format) {
	t.Helper()
	res, err := ingestion.ReadPeriod(context.Background(), []ingestion.File{ingestion.MemoryFile("fuzz", data)}, format, ingestion.ReadOptions{Workers: 2})
	if err != nil {
		if valdrix.ErrorCode(err) != valdrix.EINVALID {
			t.Fatalf("error is not EINVALID: %v", err)
		}
		var pe *ingestion.ParseError
		if !errors.As(err, &pe) || pe.File != "fuzz" {
			t.Fatalf("error does not locate the problem: %v", err)
		}
		return
	}
	var lines int64
	for i := range res.Rows {
		lines += res.Rows[i].LineCount
		if i > 0 && res.Rows[i].ChargeDay < res.Rows[i-1].ChargeDay {
			t.Fatalf("rows out of order at %d", i)
		}
		if !ingestion.ValidCurrency(res.Rows[i].BillingCurrency) {
			t.Fatalf("row %d has currency %q", i, res.Rows[i].BillingCurrency)
		}
	}
	if lines != res.LinesKept {
		t.Fatalf("rows hold %d lines, result says %d", lines, res.LinesKept)
	}
}

func FuzzCUR2CSV(f *testing.F) {
	f.Add(writeCUR2CSV(f, fixtureLines()))
	f.Add(gz(f, writeCUR2CSV(f, fixtureLines())))
	f.Add([]byte("line_item_usage_start_date,bill_payer_account_id,line_item_usage_account_id,line_item_line_item_type,line_item_product_code,line_item_currency_code,line_item_unblended_cost,resource_tags,product\n2024-01-01T00:00:00Z,1,2,Usage,AmazonEC2,USD,1e-3,\"{\"\"a\"\":\"\"b\"\"}\",\"{\"\"vcpu\"\":\"\"x\"\"}\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, data, ingestion.FormatCUR2) })
}

func FuzzLegacyCUR(f *testing.F) {
	f.Add([]byte(legacyCUR))
	f.Add(gz(f, []byte(legacyCUR)))
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, data, ingestion.FormatCUR) })
}

func FuzzAzure(f *testing.F) {
	f.Add([]byte(azureMCA))
	f.Add([]byte(azureV1))
	f.Add([]byte("\ufeffSubscriptionId,Date,MeterCategory,CostInBillingCurrency,BillingCurrencyCode,Tags\ns,12/31/2024,Storage,1,USD,\"\"\"a\"\": \"\"b\"\"\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, data, ingestion.FormatAzure) })
}

func FuzzGCPJSONL(f *testing.F) {
	f.Add([]byte(gcpJSONL))
	f.Add([]byte(gcpCSV))
	f.Add([]byte(`{"usage_start_time":1.7e9,"cost":"1","currency":"USD","credits":[{"amount":"-1"}],"labels":{"a":1}}`))
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, data, ingestion.FormatGCP) })
}

func FuzzFOCUSCSV(f *testing.F) {
	f.Add([]byte(focusCSV))
	f.Add([]byte("ChargePeriodStart,BilledCost,ChargeCategory,BillingAccountId,BillingCurrency,x_Thing,SkuPriceDetails\n2024-01-01,1,Usage,a,EUR,y,\"{\"\"CoreCount\"\":2}\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, data, ingestion.FormatFOCUS) })
}

func FuzzParquet(f *testing.F) {
	f.Add(writeCUR2Parquet(f, fixtureLines(), 3))
	header, rows := readCSVTable(f, focusCSV)
	f.Add(parquetStrings(f, header, rows, 2))
	f.Add([]byte("PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) { checkRead(t, data, ingestion.FormatAuto) })
}

func FuzzManifest(f *testing.F) {
	f.Add([]byte(cur2Manifest))
	f.Add([]byte(sprintf(legacyManifest, "a", "a")))
	f.Add([]byte(azureManifest))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ingestion.ParseManifest("m.json", data)
		if err != nil {
			if valdrix.ErrorCode(err) != valdrix.EINVALID {
				t.Fatalf("error is not EINVALID: %v", err)
			}
			return
		}
		if len(m.DataFiles) == 0 || len(m.Checksum) != 64 {
			t.Fatalf("accepted a manifest without files or checksum: %+v", m)
		}
	})
}

func FuzzDetect(f *testing.F) {
	f.Add([]byte(focusCSV))
	f.Add([]byte(legacyCUR))
	f.Add([]byte(gcpJSONL))
	f.Add(writeCUR2Parquet(f, fixtureLines()[:1], 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ingestion.Detect(context.Background(), ingestion.MemoryFile("f", data))
		if err != nil {
			if valdrix.ErrorCode(err) != valdrix.EINVALID {
				t.Fatalf("error is not EINVALID: %v", err)
			}
			return
		}
		if d.Reason == "" {
			t.Fatal("a detection without a reason")
		}
		d2, ok := ingestion.DetectColumns("CSV header", strings.Split(string(data), ","))
		if ok && d2.Reason == "" {
			t.Fatal("a detection without a reason")
		}
	})
}
