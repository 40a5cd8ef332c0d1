package ingestion_test

import (
	"context"
	"errors"
	"iter"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// gcpJSONL is the BigQuery JSON export shape: nested records, text
// timestamps, quoted INT64s, labels as key/value arrays.
const gcpJSONL = `{"billing_account_id":"01A2B3-C4D5E6-F7A8B9","service":{"id":"6F81-5844-456A","description":"Compute Engine"},"sku":{"id":"2E27-4F75-95CD","description":"N2 Instance Core running in Americas"},"usage_start_time":"2024-09-10 07:00:00 UTC","usage_end_time":"2024-09-10 08:00:00 UTC","project":{"id":"shop-prod","number":"123456789","name":"Shop"},"labels":[{"key":"team","value":"web"}],"system_labels":[{"key":"compute.googleapis.com/machine_spec","value":"n2-standard-4"},{"key":"compute.googleapis.com/cores","value":"4"}],"location":{"location":"us-central1","country":"US","region":"us-central1","zone":"us-central1-a"},"resource":{"name":"vm-1","global_name":"//compute.googleapis.com/projects/shop-prod/zones/us-central1-a/instances/123"},"cost":0.2,"cost_at_list":0.25,"currency":"USD","usage":{"amount":"14400","unit":"seconds","amount_in_pricing_units":4,"pricing_unit":"hour"},"credits":[{"name":"Sustained usage discount","amount":-0.05,"full_name":"","id":"","type":"SUSTAINED_USAGE_DISCOUNT"},{"name":"CUD","amount":-0.1,"id":"cud-1","type":"COMMITTED_USAGE_DISCOUNT"}],"invoice":{"month":"202409"},"cost_type":"regular"}
{"billing_account_id":"01A2B3-C4D5E6-F7A8B9","service":{"id":"6F81-5844-456A","description":"Compute Engine"},"sku":{"id":"2E27-4F75-95CD","description":"N2 Instance Core running in Americas"},"usage_start_time":"2024-09-10T08:00:00Z","project":{"id":"shop-prod","name":"Shop"},"labels":[{"key":"team","value":"web"}],"system_labels":[{"key":"compute.googleapis.com/machine_spec","value":"n2-standard-4"},{"key":"compute.googleapis.com/cores","value":"4"}],"location":{"region":"us-central1","zone":"us-central1-a"},"resource":{"name":"vm-1","global_name":"//compute.googleapis.com/projects/shop-prod/zones/us-central1-a/instances/123"},"cost":0.2,"cost_at_list":0.25,"currency":"USD","usage":{"amount":14400,"unit":"seconds","amount_in_pricing_units":4,"pricing_unit":"hour"},"credits":[],"invoice":{"month":"202409"},"cost_type":"regular"}

{"billing_account_id":"01A2B3-C4D5E6-F7A8B9","service":{"description":"Cloud Storage"},"sku":{"id":"E5F0","description":"Standard Storage"},"usage_start_time":"2024-09-30 23:00:00 UTC","project":{"id":"shop-prod"},"location":{"location":"us"},"cost":1.0,"currency":"USD","usage":{"amount":10,"unit":"byte-seconds","pricing_unit":"gibibyte month"},"invoice":{"month":"202410"},"cost_type":"tax"}
`

const gcpCSV = `billing_account_id,service.description,sku.id,sku.description,usage_start_time,project.id,project.name,labels,location.region,cost,cost_at_list,currency,usage.amount,usage.unit,credits,invoice.month,cost_type
01A2B3,BigQuery,B1,Analysis,2024-09-02 00:00:00 UTC,data-prj,Data,"{""env"":""prod""}",us-east1,5,5,EUR,1,tebibyte,"[{""name"":""Free tier"",""amount"":-5,""type"":""FREE_TIER""}]",202409,regular
`

func TestReadGCP(t *testing.T) {
	t.Parallel()
	t.Run("json lines", func(t *testing.T) {
		t.Parallel()
		res := mustRead(t, "billing-000.json", []byte(gcpJSONL), ingestion.FormatAuto)
		require.Equal(t, ingestion.FormatGCP, res.Format)
		require.Contains(t, res.FormatReason, "GCP")
		require.Equal(t, int64(3), res.RowsRead)
		require.Equal(t, int64(5), res.LinesKept, "each credit is a line of its own")
		require.Equal(t, []valdrix.Month{valdrix.NewMonth(2024, 9), valdrix.NewMonth(2024, 10)}, res.Periods)
		var usage, sud, cud, tax *ingestion.LedgerRow
		for i := range res.Rows {
			r := &res.Rows[i]
			switch {
			case r.ChargeCategory == "Usage":
				usage = r
			case r.ChargeCategory == "Tax":
				tax = r
			case r.CommitmentDiscountID == "cud-1":
				cud = r
			case r.ChargeCategory == "Credit":
				sud = r
			}
		}
		require.NotNil(t, usage)
		require.Equal(t, dec(t, "0.4"), usage.BilledCost)
		require.Equal(t, dec(t, "0.4"), usage.EffectiveCost)
		require.Equal(t, dec(t, "0.5"), usage.ListCost)
		require.Equal(t, dec(t, "28800"), usage.ConsumedQuantity)
		require.Equal(t, dec(t, "8"), usage.PricingQuantity)
		require.Equal(t, "n2-standard-4", usage.InstanceType)
		require.Equal(t, dec(t, "4"), usage.VCPUs)
		require.Equal(t, "Compute", usage.ServiceCategory)
		require.Equal(t, "shop-prod", usage.SubAccountID)
		require.Equal(t, `{"team":"web"}`, usage.Tags)
		require.Equal(t, "//compute.googleapis.com/projects/shop-prod/zones/us-central1-a/instances/123", usage.ResourceID)
		require.Equal(t, int64(2), usage.LineCount)
		require.Equal(t, dec(t, "-0.05"), sud.BilledCost)
		require.Equal(t, sud.BilledCost, sud.EffectiveCost, "FOCUS: a credit's effective cost is its billed cost")
		require.Equal(t, `{"x_CreditName":"Sustained usage discount","x_CreditType":"SUSTAINED_USAGE_DISCOUNT"}`, sud.Extensions)
		require.Equal(t, dec(t, "-0.1"), cud.EffectiveCost)
		require.Equal(t, "Used", cud.CommitmentDiscountStatus)
		require.Equal(t, "2024-10", tax.BillingPeriod.String(), "invoice.month decides the period")
		require.Equal(t, "us", tax.RegionID)
		require.False(t, tax.Missing.Has(ingestion.MissingListCost))
		var net valdrix.Decimal
		for _, tot := range res.Totals {
			net += tot.EffectiveCost
		}
		require.Equal(t, dec(t, "1.25"), net, "Σ EffectiveCost = Σ cost + Σ credits")
	})
	// One compute row each: what its SKU and system labels make of it.
	for _, tc := range []struct {
		name, sku, labels, resource string
		check                       func(t *testing.T, r ingestion.LedgerRow)
	}{
		{"unused reservation", "N2 Predefined Instance running in Americas",
			`[{"key":"compute.googleapis.com/is_unused_reservation","value":"true"}]`, "zones/us-central1-a/reservations/res-1",
			func(t *testing.T, r ingestion.LedgerRow) {
				require.Equal(t, "Unused", r.CapacityReservationStatus)
				require.Equal(t, r.ResourceID, r.CapacityReservationID)
				require.Empty(t, r.CommitmentDiscountType)
			}},
		{"commitment fee", "Commitment v1: Cpu in Americas for 1 Year", `[]`, "regions/us-central1/commitments/cud-1",
			func(t *testing.T, r ingestion.LedgerRow) {
				require.Equal(t, ingestion.CommitmentTypeCUD, r.CommitmentDiscountType)
				require.Equal(t, r.ResourceID, r.CommitmentDiscountID, "the fee is billed to the commitment")
				require.Empty(t, r.CommitmentDiscountStatus, "a standard export does not say how much is used")
				require.Empty(t, r.CapacityReservationStatus)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			line := `{"billing_account_id":"01A2B3","service":{"description":"Compute Engine"},"sku":{"description":"` + tc.sku + `"},` +
				`"usage_start_time":"2024-09-10 00:00:00 UTC","project":{"id":"shop-prod"},"location":{"region":"us-central1"},` +
				`"system_labels":` + tc.labels + `,"resource":{"global_name":"//compute.googleapis.com/projects/shop-prod/` + tc.resource + `"},` +
				`"cost":2.4,"currency":"USD","invoice":{"month":"202409"},"cost_type":"regular"}` + "\n"
			res := mustRead(t, "billing-001.json", []byte(line), ingestion.FormatGCP)
			require.Len(t, res.Rows, 1)
			r := res.Rows[0]
			require.Equal(t, "Usage", r.ChargeCategory)
			require.Equal(t, dec(t, "2.4"), r.EffectiveCost)
			tc.check(t, r)
		})
	}
	t.Run("csv", func(t *testing.T) {
		t.Parallel()
		res := mustRead(t, "billing.csv", []byte(gcpCSV), ingestion.FormatGCP)
		require.Len(t, res.Rows, 2)
		require.Equal(t, "Credit", res.Rows[0].ChargeCategory)
		require.Equal(t, dec(t, "-5"), res.Rows[0].BilledCost)
		require.Equal(t, "Usage", res.Rows[1].ChargeCategory)
		require.Equal(t, "Analytics", res.Rows[1].ServiceCategory)
		require.Equal(t, `{"env":"prod"}`, res.Rows[1].Tags)
		require.Equal(t, "EUR", res.Rows[1].BillingCurrency)
	})
	t.Run("records from an iterator", func(t *testing.T) {
		t.Parallel()
		start := time.Date(2024, 9, 3, 4, 0, 0, 0, time.UTC)
		recs := []*ingestion.GCPRecord{
			{BillingAccountID: "b", Project: ingestion.GCPProject{ID: "p"}, Service: ingestion.GCPService{Description: "Cloud SQL"}, UsageStartTime: start, Cost: 2, Currency: "USD", CostType: "regular"},
			{BillingAccountID: "b", Project: ingestion.GCPProject{ID: "p"}, Service: ingestion.GCPService{Description: "Cloud SQL"}, UsageStartTime: start.Add(time.Hour), Cost: 3, Currency: "USD", CostType: "regular"},
		}
		seq := func(yield func(*ingestion.GCPRecord, error) bool) {
			for _, r := range recs {
				if !yield(r, nil) {
					return
				}
			}
		}
		res, err := ingestion.ReadGCP(context.Background(), "bigquery:proj.ds.table", seq)
		require.NoError(t, err)
		require.Len(t, res.Rows, 1)
		require.Equal(t, dec(t, "5"), res.Rows[0].BilledCost)
		require.Equal(t, "Databases", res.Rows[0].ServiceCategory)
		require.NotZero(t, res.Rows[0].Missing&ingestion.MissingListCost, "no cost_at_list: missing, not zero")

		var failing iter.Seq2[*ingestion.GCPRecord, error] = func(yield func(*ingestion.GCPRecord, error) bool) {
			if !yield(recs[0], nil) {
				return
			}
			yield(nil, errors.New("bigquery: quota exceeded"))
		}
		_, err = ingestion.ReadGCP(context.Background(), "bigquery:proj.ds.table", failing)
		var pe *ingestion.ParseError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, int64(2), pe.Row)
	})
}
