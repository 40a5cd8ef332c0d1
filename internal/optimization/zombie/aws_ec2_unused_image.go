package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

const instancesByImage = "aws.ec2.instance.image_id"

func awsUnusedImage() *Rule {
	return &Rule{
		ID: "aws.ec2.unused_image", Code: "A10", Version: 1,
		Title:       "AMI no instance uses",
		Description: "An AMI no instance of the account runs keeps its backing snapshots billed. Launch templates and other accounts are not checked, so confidence is lower.",
		Signal:      "private AMI older than min_age_days that no instance (in any state) was launched from",
		Provider:    valdrix.AWS, Types: []string{"aws.ec2.image"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("min_age_days", 7, "images younger than this are left alone", "OptScale abandoned_images (7 d); Cloud Custodian image unused filter"),
		},
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Deregister the AMI and delete its snapshots (check launch templates and shared accounts first)."},
		SavingsMethod: "the monthly cost of the image's backing snapshots (" + savingsRelated + ")",
		Confidence:    0.8,
		Indexes:       []Index{{Name: instancesByImage, Types: []string{"aws.ec2.instance"}, Keys: attrKey("image_id")}},
		Evaluate: func(s *Subject) Verdict {
			if pub, ok := s.Attr("public"); ok && pub == "true" {
				return OK("the image is public; others may launch it")
			}
			age, v := needAge(s)
			if v != nil {
				return *v
			}
			if age < s.Param("min_age_days") {
				return OK(fmt.Sprintf("%.0f days old", age))
			}
			if used := s.Find(instancesByImage, s.ID); len(used) > 0 {
				return OK(fmt.Sprintf("%d instances run it", len(used)))
			}
			var snaps []Ref
			for _, id := range attrList(s, "snapshot_ids") {
				if r, ok := s.Get(id); ok {
					snaps = append(snaps, r)
				}
			}
			out := Waste(fmt.Sprintf("no instance runs it; %d backing snapshots are billed", len(snaps)), relatedSavings(s, snaps), F("age_days", age))
			out.Related = snaps
			return out
		},
	}
}
