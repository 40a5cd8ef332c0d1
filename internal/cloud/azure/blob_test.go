package azure

import (
	"io"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloudsim"
)

// TestSimulatorBlobStorage drives the simulator's Blob service with azblob
// itself: put, list containers and blobs page by page, ranged reads, and
// the data-plane role check.
func TestSimulatorBlobStorage(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOpts) {
		o.resources = 100
		o.app = func(a *cloudsim.AzureApp) { a.BlobContributor = true }
	})
	sub := b.conn.Azure.Subscriptions[0]
	for _, c := range []string{"alpha", "beta", "gamma"} {
		require.NoError(t, b.sim.CreateAzureStorage(sub, "acmeblobs", c))
	}
	opts := b.p.clientOptions(b.conn.ID, "blob")
	cred, err := azidentity.NewClientSecretCredential(b.conn.Azure.TenantID, b.clientID, testSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: true})
	require.NoError(t, err)
	client, err := azblob.NewClient(b.p.blobURL("acmeblobs"), cred, &azblob.ClientOptions{ClientOptions: opts})
	require.NoError(t, err)

	for _, name := range []string{"x/1.csv", "x/2.csv", "x/3.csv", "y/1.csv"} {
		_, err := client.UploadBuffer(t.Context(), "beta", name, []byte("hello "+name), nil)
		require.NoError(t, err)
	}
	var containers []string
	cp := client.NewListContainersPager(&azblob.ListContainersOptions{MaxResults: to.Ptr(int32(1))})
	for cp.More() {
		page, err := cp.NextPage(t.Context())
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.ContainerItems), 1)
		for _, c := range page.ContainerItems {
			containers = append(containers, *c.Name)
		}
	}
	require.Equal(t, []string{"alpha", "beta", "gamma"}, containers, "every container, one page at a time")

	var names []string
	bp := client.NewListBlobsFlatPager("beta", &azblob.ListBlobsFlatOptions{Prefix: to.Ptr("x/"), MaxResults: to.Ptr(int32(2))})
	for bp.More() {
		page, err := bp.NextPage(t.Context())
		require.NoError(t, err)
		for _, it := range page.Segment.BlobItems {
			names = append(names, *it.Name)
			require.EqualValues(t, len("hello ")+len(*it.Name), *it.Properties.ContentLength)
		}
	}
	require.Equal(t, []string{"x/1.csv", "x/2.csv", "x/3.csv"}, names, "the prefix filters and markers page")

	resp, err := client.DownloadStream(t.Context(), "beta", "x/2.csv", &azblob.DownloadStreamOptions{Range: blob.HTTPRange{Offset: 6, Count: 3}})
	require.NoError(t, err)
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, resp.Body.Close())
	require.NoError(t, err)
	require.Equal(t, "x/2", string(got), "a ranged read")

	_, err = client.DownloadStream(t.Context(), "beta", "nope.csv", nil)
	require.True(t, bloberror.HasCode(err, bloberror.BlobNotFound), "%v", err)

	// A reader may not write.
	require.NoError(t, b.sim.RegisterAzureApp(cloudsim.AzureApp{ClientID: b.clientID, ClientSecret: testSecret}))
	_, err = client.UploadBuffer(t.Context(), "beta", "x/4.csv", []byte("no"), nil)
	require.True(t, bloberror.HasCode(err, bloberror.AuthorizationPermissionMismatch), "%v", err)
}
