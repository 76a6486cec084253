using FaceWatch.Cluster;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace FaceWatch.Hosting.Cluster;

/// <summary>
/// Cluster mode's one NATS connection and its KV buckets, opened once on first use and shared by every cluster part of
/// the daemon (camera leases and assignment, the gallery, the event stream, presence). Registered only when
/// <c>Cluster:Nats:Url</c> is set. The URL's credentials never reach a log line (<see cref="NatsUrl.Redact"/>).
/// </summary>
public sealed class ClusterConnection(IOptions<ClusterOptions> options, ILogger<ClusterConnection> logger) : IAsyncDisposable
{
    private readonly SemaphoreSlim _opening = new(1, 1);
    private NatsConnection? _connection;
    private ClusterBuckets? _buckets;

    public ClusterOptions Options { get; } = options.Value;

    /// <summary>The connection (connecting on first use; the client reconnects by itself afterwards).</summary>
    public async ValueTask<NatsConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        await OpenAsync(cancellationToken).ConfigureAwait(false);
        return _connection!;
    }

    /// <summary>The lease and node buckets (created when missing; see <see cref="ClusterBuckets.OpenAsync"/>).</summary>
    public async ValueTask<ClusterBuckets> BucketsAsync(CancellationToken cancellationToken)
    {
        await OpenAsync(cancellationToken).ConfigureAwait(false);
        return _buckets!;
    }

    private async ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _buckets) is not null)
        {
            return;
        }

        await _opening.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_buckets is not null)
            {
                return;
            }

            _connection ??= new NatsConnection(NatsOpts.Default with { Url = Options.Nats.Url!, Name = Options.Node });
            await _connection.ConnectAsync().ConfigureAwait(false);
            Volatile.Write(ref _buckets, await ClusterBuckets.OpenAsync(_connection, Options, logger, cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            _opening.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }

        _opening.Dispose();
    }
}
