using Microsoft.Extensions.Options;
using Orleans.Messaging;
using Orleans.Runtime;

namespace EtcdOrleans.Clustering;

/// <summary>Tells Orleans clients (the EtcdOrleans gateways) which silos accept client connections, from the shared membership table.</summary>
public sealed class FileGatewayListProvider(IOptions<FileClusteringOptions> options) : IGatewayListProvider
{
    private readonly MembershipDirectory _directory = new(options.Value.Directory);

    public TimeSpan MaxStaleness => TimeSpan.FromSeconds(5);

    public bool IsUpdatable => true;

    public Task InitializeGatewayListProvider() => Task.CompletedTask;

    public async Task<IList<Uri>> GetGateways()
    {
        var document = await _directory.ReadAsync(CancellationToken.None).ConfigureAwait(false);
        return document.Rows
            .Where(row => row.Status == (int)SiloStatus.Active && row.ProxyPort > 0)
            .Select(row =>
            {
                var silo = SiloAddress.FromParsableString(row.SiloAddress);
                return SiloAddress.New(silo.Endpoint.Address, row.ProxyPort, silo.Generation).ToGatewayUri();
            })
            .ToList();
    }
}
