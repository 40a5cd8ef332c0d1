package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

const gcpInstancesByImage = "gcp.compute.instance.source_image"

func gcpUnusedImage() *Rule {
	return &Rule{
		ID: "gcp.compute.unused_image", Code: "G3", Version: 1,
		Title:       "Custom image no instance uses",
		Description: "A custom image no instance of the project was created from is billed for its storage.",
		Signal:      "no instance has it as source_image and the image is older than idle_days",
		Provider:    valdrix.GCP, Types: []string{"gcp.compute.image"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("idle_days", 15, "images younger than this are left alone", "GCP Recommender IdleResourceRecommender for images (15 d)"),
		},
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Delete the image (or deprecate it first); check instance templates."},
		SavingsMethod: savingsAll,
		Confidence:    0.8,
		Indexes:       []Index{{Name: gcpInstancesByImage, Types: []string{"gcp.compute.instance"}, Keys: attrKey("source_image")}},
		Evaluate: func(s *Subject) Verdict {
			age, v := needAge(s)
			if v != nil {
				return *v
			}
			if age < s.Param("idle_days") {
				return OK(fmt.Sprintf("%.0f days old", age))
			}
			if used := s.Find(gcpInstancesByImage, s.ID); len(used) > 0 {
				return OK(fmt.Sprintf("%d instances use it", len(used)))
			}
			return Waste(fmt.Sprintf("no instance uses it; %.0f days old", age), deleteSavings(s), F("age_days", age))
		},
	}
}
