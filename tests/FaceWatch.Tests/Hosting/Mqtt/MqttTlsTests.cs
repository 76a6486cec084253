using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using MQTTnet;

using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Tests.Hosting.Mqtt;

/// <summary>A mosquitto with a TLS listener (CA and server certificate made by openssl here) and a password file.</summary>
public sealed class TlsMosquittoFixture : IAsyncLifetime
{
    public const string User = "facewatch";
    public const string Password = "s3cret-Pa55";

    private X509Certificate2? _ca;

    public MosquittoBroker Broker { get; private set; } = null!;

    /// <summary>A second listener that also requires a client certificate signed by the test CA.</summary>
    public MosquittoBroker MutualBroker { get; private set; } = null!;

    public string ClientCertFile => Path.Combine(Dir, "client.crt");

    public string ClientKeyFile => Path.Combine(Dir, "client.key");

    public string Dir { get; } = Directory.CreateTempSubdirectory("facewatch-tls-").FullName;

    public string CaFile => Path.Combine(Dir, "ca.crt");

    public async Task InitializeAsync()
    {
        await Run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=FaceWatch Test CA");
        await Run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
        await File.WriteAllTextAsync(Path.Combine(Dir, "ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
        await Run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf");
        await Run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=facewatch-client");
        await Run("openssl", "x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.crt", "-days", "2");
        await Run("mosquitto_passwd", "-c", "-b", "passwords", User, Password);
        _ca = X509CertificateLoader.LoadCertificateFromFile(CaFile);
        Broker = await MosquittoBroker.StartNewAsync(
            tls: new MosquittoTls(CaFile, Path.Combine(Dir, "server.crt"), Path.Combine(Dir, "server.key")),
            passwordFile: Path.Combine(Dir, "passwords"));
        MutualBroker = await MosquittoBroker.StartNewAsync(
            tls: new MosquittoTls(CaFile, Path.Combine(Dir, "server.crt"), Path.Combine(Dir, "server.key"), RequireClientCertificate: true));
    }

    public async Task DisposeAsync()
    {
        await Broker.DisposeAsync();
        await MutualBroker.DisposeAsync();
        _ca?.Dispose();
        Directory.Delete(Dir, recursive: true);
    }

    /// <summary>A subscriber that speaks TLS (trusting the test CA, loaded once and owned by the fixture) with the right credentials.</summary>
    public Task<MqttTestSubscriber> SubscribeAsync(string filter)
    {
        var ca = _ca ?? throw new InvalidOperationException("The fixture is not initialized.");
        return MqttTestSubscriber.ConnectAsync(Broker.Port, filter, configure: b => b
            .WithCredentials(User, Password)
            .WithTlsOptions(o => o.UseTls().WithTargetHost("127.0.0.1").WithTrustChain([ca])
                .WithCertificateValidationHandler(a => a.SslPolicyErrors == System.Net.Security.SslPolicyErrors.None || a.SslPolicyErrors == System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors)));
    }

    private async Task Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { WorkingDirectory = Dir, RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {err}");
        }
    }
}

[Trait("Category", "Slow")]
public class MqttTlsTests(TlsMosquittoFixture tls) : IClassFixture<TlsMosquittoFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private Dictionary<string, string?> Settings(string password, bool withCa = true, bool allowUntrusted = false) => new()
    {
        ["Mqtt:Tls:Enabled"] = "true",
        ["Mqtt:Tls:CaFile"] = withCa ? tls.CaFile : null,
        ["Mqtt:Tls:AllowUntrusted"] = allowUntrusted ? "true" : "false",
        ["Mqtt:Username"] = TlsMosquittoFixture.User,
        ["Mqtt:Password"] = password,
    };

    [Fact]
    public async Task Events_arrive_over_tls_with_username_and_password()
    {
        await using var sub = await tls.SubscribeAsync("facewatch/#");
        await using var host = await PublisherHost.StartAsync(tls.Broker.Port, Settings(TlsMosquittoFixture.Password));
        await host.WaitConnectedAsync(Wait);
        Assert.StartsWith("mqtts://127.0.0.1:", host.Publisher.Broker, StringComparison.Ordinal);
        var e = TestEvents.Make(IdentityEventKind.Arrived, "porch", 1, "Alice");
        await host.Hub.PublishAsync(e, CancellationToken.None);
        var received = await sub.WaitForTopicAsync("facewatch/porch/events", Wait);
        Assert.Contains(e.EventId, received.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Logs.Lines, l => l.Message.Contains(TlsMosquittoFixture.Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_wrong_password_logs_a_clear_error_and_keeps_retrying_with_backoff()
    {
        const string wrong = "not-the-Password-42";
        await using var host = await PublisherHost.StartAsync(tls.Broker.Port, Settings(wrong));
        await MqttPublisherTests.WaitForLogAsync(host, l => l.EventId == 6004 && l.Message.Contains("attempt 3", StringComparison.Ordinal));

        var error = Assert.Single(host.Logs.Lines, l => l.EventId == 6005);
        Assert.Equal(LogLevel.Error, error.Level);
        Assert.Contains(host.Publisher.Broker, error.Message, StringComparison.Ordinal);
        // mosquitto answers a wrong password on MQTT 3.1.1 with "not authorized" (CONNACK 5)
        Assert.Matches("BadUserNameOrPassword|NotAuthorized", error.Message);
        Assert.Contains("credentials", error.Message, StringComparison.Ordinal);
        Assert.Contains("Mqtt:Password", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Logs.Lines, l => l.Message.Contains(wrong, StringComparison.Ordinal));
        Assert.False(host.Publisher.IsConnected);
        Assert.False(host.Publisher.ExecuteTask!.IsCompleted, "the publisher must keep running");

        // backoff with jitter: every announced delay is within the 1 s cap, and they vary (decorrelated jitter)
        var delays = host.Logs.Lines.Where(l => l.EventId is 6004 or 6005)
            .Select(l => double.Parse(System.Text.RegularExpressions.Regex.Match(l.Message, @"next try in (\d+) ms").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();
        Assert.True(delays.Length >= 3);
        Assert.All(delays, d => Assert.InRange(d, 1, 1000));
        Assert.True(delays.Distinct().Count() > 1, "delays should be jittered: " + string.Join(", ", delays));
    }

    [Fact]
    public async Task A_broker_certificate_from_an_unknown_ca_is_refused_unless_untrusted_is_allowed()
    {
        await using (var host = await PublisherHost.StartAsync(tls.Broker.Port, Settings(TlsMosquittoFixture.Password, withCa: false)))
        {
            await MqttPublisherTests.WaitForLogAsync(host, l => l.EventId == 6003);
            Assert.False(host.Publisher.IsConnected);
        }

        await using var trusting = await PublisherHost.StartAsync(tls.Broker.Port, Settings(TlsMosquittoFixture.Password, withCa: false, allowUntrusted: true));
        await trusting.WaitConnectedAsync(Wait);
    }

    [Fact]
    public async Task A_client_certificate_is_presented_when_configured()
    {
        var settings = new Dictionary<string, string?> { ["Mqtt:Tls:Enabled"] = "true", ["Mqtt:Tls:CaFile"] = tls.CaFile };
        await using (var without = await PublisherHost.StartAsync(tls.MutualBroker.Port, settings))
        {
            await MqttPublisherTests.WaitForLogAsync(without, l => l.EventId == 6003);
            Assert.False(without.Publisher.IsConnected);
        }

        settings["Mqtt:Tls:ClientCertFile"] = tls.ClientCertFile;
        settings["Mqtt:Tls:ClientKeyFile"] = tls.ClientKeyFile;
        await using var with = await PublisherHost.StartAsync(tls.MutualBroker.Port, settings);
        await with.WaitConnectedAsync(Wait);
    }
}
