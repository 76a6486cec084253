using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Text;
using FaceWatch.Tests.Infrastructure;

namespace FaceWatch.Tests.Cluster;

/// <summary>
/// A real <c>nats-server -js</c> on free loopback ports with its own temporary store folder; optionally one member of a
/// JetStream cluster (routes on loopback). Found on PATH or at /usr/sbin/nats-server; missing, it fails the test
/// (never a skip). Only the process started here is ever stopped or killed.
/// </summary>
public sealed class NatsServer : IAsyncDisposable
{
    private readonly StringBuilder _log = new();
    private readonly string[] _arguments;
    private Process? _process;

    private NatsServer(string name, string dir, int port, int monitorPort, int clusterPort, string[] arguments)
    {
        Name = name;
        Dir = dir;
        Port = port;
        MonitorPort = monitorPort;
        ClusterPort = clusterPort;
        _arguments = arguments;
    }

    public string Name { get; }

    public string Dir { get; }

    public int Port { get; }

    public int MonitorPort { get; }

    public int ClusterPort { get; }

    public string Url => FormattableString.Invariant($"nats://127.0.0.1:{Port}");

    public bool Running => _process is { HasExited: false };

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static string Executable
    {
        get
        {
            var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Select(d => Path.Combine(d, "nats-server")).FirstOrDefault(File.Exists);
            return onPath ?? (File.Exists("/usr/sbin/nats-server") ? "/usr/sbin/nats-server"
                : throw new InvalidOperationException("nats-server is missing (not on PATH, not /usr/sbin/nats-server): run 'scripts/setup.sh test' (apt package nats-server)."));
        }
    }

    /// <summary>A single JetStream server.</summary>
    public static Task<NatsServer> StartAsync() => StartAsync(Create("s0", clusterPort: 0, routes: []));

    /// <summary>Starts (again, on the same ports and store) and waits until JetStream answers its health check.</summary>
    public async Task StartAsync(TimeSpan timeout)
    {
        if (Running)
        {
            throw new InvalidOperationException($"{Name} is already running.");
        }

        var psi = new ProcessStartInfo(Executable, _arguments) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        _process?.Dispose();
        _process = Process.Start(psi) ?? throw new InvalidOperationException("nats-server did not start.");
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        await WaitHealthyAsync(timeout);
    }

    /// <summary>Until <c>/healthz</c> says ok (JetStream up; in a cluster: meta group current).</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        var last = "";
        while (true)
        {
            if (_process is not { HasExited: false })
            {
                throw new InvalidOperationException($"{Name} exited:\n{Log}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(FormattableString.Invariant($"http://127.0.0.1:{MonitorPort}/healthz")));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                last = await response.Content.ReadAsStringAsync();
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException e)
            {
                last = e.Message;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name} not healthy after {timeout.TotalSeconds} s ({last}):\n{Log}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>SIGKILL: the server dies as in a crash (no clean leave from the cluster).</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        finally
        {
            _process?.Dispose();
            try
            {
                Directory.Delete(Dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    internal static NatsServer Create(string name, int clusterPort, IReadOnlyList<int> routes)
    {
        var dir = Directory.CreateTempSubdirectory("facewatch-nats-").FullName;
        var port = MosquittoBroker.FreePort();
        var monitor = MosquittoBroker.FreePort();
        var args = new List<string>
        {
            "-a", "127.0.0.1", "-p", Str(port), "-m", Str(monitor), "-js", "-sd", dir, "--server_name", name,
        };
        if (clusterPort != 0)
        {
            args.AddRange([
                "--cluster_name", "facewatch-test", "--cluster", FormattableString.Invariant($"nats://127.0.0.1:{clusterPort}"),
                "--routes", string.Join(',', routes.Select(r => FormattableString.Invariant($"nats://127.0.0.1:{r}"))),
            ]);
        }

        return new NatsServer(name, dir, port, monitor, clusterPort, [.. args]);
    }

    internal static async Task<NatsServer> StartAsync(NatsServer server)
    {
        try
        {
            await server.StartAsync(TimeSpan.FromSeconds(15));
            return server;
        }
        catch
        {
            await server.DisposeAsync(); // the caller never gets it: kill its process and remove its folder here
            throw;
        }
    }

    private static string Str(int port) => port.ToString(CultureInfo.InvariantCulture);

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }
}

/// <summary>A JetStream cluster of <c>n</c> servers routed on loopback, each with its own store folder.</summary>
public sealed class NatsCluster : IAsyncDisposable
{
    private NatsCluster(IReadOnlyList<NatsServer> servers) => Servers = servers;

    public IReadOnlyList<NatsServer> Servers { get; }

    /// <summary>Every member's client URL: the client fails over between them.</summary>
    public string Url => string.Join(',', Servers.Select(s => s.Url));

    public static async Task<NatsCluster> StartAsync(int size = 3)
    {
        var clusterPorts = Enumerable.Range(0, size).Select(_ => MosquittoBroker.FreePort()).ToArray();
        var servers = Enumerable.Range(0, size)
            .Select(i => NatsServer.Create("s" + i, clusterPorts[i], [.. clusterPorts.Where((_, j) => j != i)]))
            .ToList();
        var cluster = new NatsCluster(servers);
        try
        {
            // start all before waiting: a member's health needs the meta group, which needs a quorum of members
            await Task.WhenAll(servers.Select(s => s.StartAsync(TimeSpan.FromSeconds(20))));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public string Logs => string.Join("\n", Servers.Select(s => $"--- {s.Name}\n{s.Log}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var server in Servers)
        {
            await server.DisposeAsync();
        }
    }
}
