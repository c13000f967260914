using System.Globalization;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;

namespace EtcdOrleans.Clustering;

/// <summary>
/// Orleans membership kept in <see cref="FileClusteringOptions.Directory"/>. Unlike development clustering, no silo is
/// special: the table outlives every silo, so the cluster survives the loss of any one of them and restarts whole.
/// Concurrency control follows Orleans' contract: a row changes only if its etag and the table version's etag match.
/// </summary>
public sealed class FileMembershipTable(IOptions<FileClusteringOptions> options) : IMembershipTable
{
    private readonly MembershipDirectory _directory = new(options.Value.Directory);

    public Task InitializeMembershipTable(bool tryInitTableVersion) =>
        _directory.UpdateAsync(document => (document.Rows.Count == 0 && document.Version == 0, true), CancellationToken.None);

    public Task DeleteMembershipTableEntries(string clusterId) =>
        _directory.UpdateAsync(document =>
        {
            document.Rows.Clear();
            document.Version = 0;
            return (true, true);
        }, CancellationToken.None);

    public Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate) =>
        _directory.UpdateAsync(document =>
        {
            var removed = document.Rows.RemoveAll(row => row.Status == (int)SiloStatus.Dead && row.IAmAliveTime < beforeDate.UtcDateTime);
            return (removed > 0, removed);
        }, CancellationToken.None);

    public async Task<MembershipTableData> ReadRow(SiloAddress key)
    {
        var document = await _directory.ReadAsync(CancellationToken.None).ConfigureAwait(false);
        var address = key.ToParsableString();
        var rows = document.Rows.Where(row => row.SiloAddress == address).Select(ToTuple).ToList();
        return new MembershipTableData(rows, TableVersionOf(document));
    }

    public async Task<MembershipTableData> ReadAll()
    {
        var document = await _directory.ReadAsync(CancellationToken.None).ConfigureAwait(false);
        return new MembershipTableData(document.Rows.Select(ToTuple).ToList(), TableVersionOf(document));
    }

    public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion) =>
        _directory.UpdateAsync(document =>
        {
            var address = entry.SiloAddress.ToParsableString();
            if (!VersionMatches(document, tableVersion) || document.Rows.Any(row => row.SiloAddress == address))
            {
                return (false, false);
            }

            document.Version = tableVersion.Version;
            document.Rows.Add(ToRow(entry, document.NextEtag()));
            return (true, true);
        }, CancellationToken.None);

    public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion) =>
        _directory.UpdateAsync(document =>
        {
            var address = entry.SiloAddress.ToParsableString();
            var index = document.Rows.FindIndex(row => row.SiloAddress == address);
            if (!VersionMatches(document, tableVersion) || index < 0 || document.Rows[index].Etag != etag)
            {
                return (false, false);
            }

            document.Version = tableVersion.Version;
            document.Rows[index] = ToRow(entry, document.NextEtag());
            return (true, true);
        }, CancellationToken.None);

    public Task UpdateIAmAlive(MembershipEntry entry) =>
        _directory.UpdateAsync(document =>
        {
            var address = entry.SiloAddress.ToParsableString();
            var row = document.Rows.Find(r => r.SiloAddress == address);
            if (row is null)
            {
                return (false, false);
            }

            row.IAmAliveTime = entry.IAmAliveTime;
            return (true, true);
        }, CancellationToken.None);

    private static bool VersionMatches(MembershipDocument document, TableVersion proposed) =>
        proposed.VersionEtag == document.VersionEtag.ToString(CultureInfo.InvariantCulture);

    private static TableVersion TableVersionOf(MembershipDocument document) =>
        new(document.Version, document.VersionEtag.ToString(CultureInfo.InvariantCulture));

    private static MembershipRow ToRow(MembershipEntry entry, long etag) => new()
    {
        SiloAddress = entry.SiloAddress.ToParsableString(),
        Etag = etag.ToString(CultureInfo.InvariantCulture),
        Status = (int)entry.Status,
        ProxyPort = entry.ProxyPort,
        HostName = entry.HostName ?? "",
        SiloName = entry.SiloName ?? "",
        RoleName = entry.RoleName ?? "",
        UpdateZone = entry.UpdateZone,
        FaultZone = entry.FaultZone,
        StartTime = entry.StartTime,
        IAmAliveTime = entry.IAmAliveTime,
        Suspicions = entry.SuspectTimes?.Select(s => new SuspicionRow { Suspector = s.Item1.ToParsableString(), Time = s.Item2 }).ToList() ?? [],
    };

    private static Tuple<MembershipEntry, string> ToTuple(MembershipRow row) => Tuple.Create(new MembershipEntry
    {
        SiloAddress = SiloAddress.FromParsableString(row.SiloAddress),
        Status = (SiloStatus)row.Status,
        ProxyPort = row.ProxyPort,
        HostName = row.HostName,
        SiloName = row.SiloName,
        RoleName = row.RoleName,
        UpdateZone = row.UpdateZone,
        FaultZone = row.FaultZone,
        StartTime = row.StartTime,
        IAmAliveTime = row.IAmAliveTime,
        SuspectTimes = row.Suspicions.Select(s => Tuple.Create(SiloAddress.FromParsableString(s.Suspector), s.Time)).ToList(),
    }, row.Etag);
}
