using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FaceWatch.Tests.Infrastructure;

/// <summary>TLS and authentication of a test broker: files the test generated.</summary>
public sealed record MosquittoTls(string CaFile, string CertFile, string KeyFile, bool RequireClientCertificate = false);

/// <summary>
/// A real mosquitto (<c>/usr/sbin/mosquitto</c>) on a free loopback port with its own generated config,
/// persistence off unless asked. <see cref="StopAsync"/>/<see cref="StartAsync"/> restart it on the same port.
/// </summary>
public sealed class MosquittoBroker : IAsyncDisposable
{
    public const string Executable = "/usr/sbin/mosquitto";

    private static readonly HashSet<int> HandedOut = [];

    private readonly StringBuilder _log = new();
    private Process? _process;

    private MosquittoBroker(string dir, int port)
    {
        Dir = dir;
        Port = port;
    }

    public string Dir { get; }

    public int Port { get; }

    public string ConfigFile => Path.Combine(Dir, "mosquitto.conf");

    /// <summary>What mosquitto wrote to stderr (for failure messages).</summary>
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

    public static async Task<MosquittoBroker> StartNewAsync(bool persistence = false, MosquittoTls? tls = null, string? passwordFile = null)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: run 'scripts/setup.sh test' (apt package mosquitto).");
        }

        var dir = Directory.CreateTempSubdirectory("facewatch-mosquitto-").FullName;
        var broker = new MosquittoBroker(dir, FreePort());
        var conf = new StringBuilder()
            .AppendLine(FormattableString.Invariant($"listener {broker.Port} 127.0.0.1"))
            .AppendLine(passwordFile is null ? "allow_anonymous true" : "allow_anonymous false")
            .AppendLine(persistence ? "persistence true" : "persistence false")
            .AppendLine("persistence_location " + dir + "/")
            .AppendLine("max_queued_messages 100000")
            .AppendLine("max_inflight_messages 0")
            // running as root: keep root so the broker can read the test's private files
            .AppendLine("user root")
            .AppendLine("log_dest stderr")
            .AppendLine("log_type error")
            .AppendLine("log_type warning")
            .AppendLine("log_type notice")
            .AppendLine("log_type information");
        if (passwordFile is not null)
        {
            conf.AppendLine("password_file " + passwordFile);
        }

        if (tls is not null)
        {
            conf.AppendLine("cafile " + tls.CaFile).AppendLine("certfile " + tls.CertFile).AppendLine("keyfile " + tls.KeyFile);
            if (tls.RequireClientCertificate)
            {
                conf.AppendLine("require_certificate true");
            }
        }

        await File.WriteAllTextAsync(broker.ConfigFile, conf.ToString());
        try
        {
            await broker.StartAsync();
        }
        catch
        {
            await broker.DisposeAsync(); // the caller never gets the broker: kill its process and remove its folder here
            throw;
        }

        return broker;
    }

    /// <summary>Starts (again) on the same port and waits until it accepts connections.</summary>
    public async Task StartAsync()
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("mosquitto is already running.");
        }

        var psi = new ProcessStartInfo(Executable, ["-c", ConfigFile]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        _process?.Dispose(); // the stopped run's process: one owner, disposed before it is replaced
        _process = Process.Start(psi) ?? throw new InvalidOperationException("mosquitto did not start.");
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"mosquitto exited with {_process.ExitCode}:\n{Log}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Stops with SIGTERM (mosquitto saves its persistence file on the way out) and waits for the exit.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill!.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (OperationCanceledException)
        {
            _process?.Kill();
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A loopback port free now and never handed out before in this test run (test classes run in parallel).</summary>
    public static int FreePort()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            lock (HandedOut)
            {
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}

/// <summary>One plain mosquitto shared by the tests of a class (IClassFixture).</summary>
public sealed class MosquittoFixture : IAsyncLifetime
{
    public MosquittoBroker Broker { get; private set; } = null!;

    public int Port => Broker.Port;

    public async Task InitializeAsync() => Broker = await MosquittoBroker.StartNewAsync();

    public async Task DisposeAsync() => await Broker.DisposeAsync();
}
