using FaceWatch.Cluster;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FaceWatch.Tests.Cluster;

public class ClusterOptionsTests
{
    [Fact]
    public void Defaults_match_the_documented_contract()
    {
        var o = new ClusterOptions();
        Assert.False(o.Enabled);
        Assert.Null(o.Nats.Url);
        Assert.Equal(1, o.Nats.Replicas);
        Assert.Equal(Environment.MachineName, o.Node);
        Assert.Equal("default", o.Site);
        Assert.Equal(1, o.Capacity);
        Assert.Equal(15, o.LeaseSeconds);
        Assert.Equal(3, o.HeartbeatSeconds);
        Assert.Equal(10, o.NodeTtlSeconds);
        Assert.Equal(TimeSpan.FromSeconds(5), o.RenewEvery);
        Assert.Equal(TimeSpan.FromSeconds(10), o.FenceAfter);
        Assert.True(new ClusterOptionsValidator().Validate(null, o).Succeeded);
    }

    [Fact]
    public void Cluster_mode_is_on_when_a_nats_url_is_set()
    {
        var o = Bind(new() { ["Cluster:Nats:Url"] = "nats://10.0.0.5:4222,nats://10.0.0.6:4222", ["Cluster:Site"] = "north" });
        Assert.True(o.Enabled);
        Assert.Equal("north", o.Site);
    }

    [Theory]
    [InlineData("Cluster:LeaseSeconds", "0.5", "Cluster:LeaseSeconds must be between 1 and 600.")]
    [InlineData("Cluster:HeartbeatSeconds", "0", "Cluster:HeartbeatSeconds must be between 0.1 and 60.")]
    [InlineData("Cluster:HeartbeatSeconds", "5", "Cluster:HeartbeatSeconds (5) must be less than Cluster:LeaseSeconds / 3 (5)")]
    [InlineData("Cluster:NodeTtlSeconds", "5", "Cluster:NodeTtlSeconds (5) must be at least 2 x Cluster:HeartbeatSeconds (6)")]
    [InlineData("Cluster:Capacity", "0", "Cluster:Capacity must be between 0.01 and 1000.")]
    [InlineData("Cluster:Nats:Replicas", "7", "Cluster:Nats:Replicas must be between 1 and 5")]
    [InlineData("Cluster:Node", " ", "Cluster:Node must be 1 to 128 printable characters")]
    [InlineData("Cluster:Site", "", "Cluster:Site must be 1 to 128 printable characters")]
    [InlineData("Cluster:Nats:Url", "http://broker:4222", "Cluster:Nats:Url 'http://broker:4222' is not a URL of the form nats://host:port")]
    [InlineData("Cluster:Nats:Url", "nats://a:4222,,nats://b:4222", "Cluster:Nats:Url has an empty entry.")]
    public void A_wrong_setting_fails_naming_the_key_and_its_range(string key, string value, string message)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Bind(new() { [key] = value }));
        Assert.Contains(ex.Failures, f => f.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_key_fails_naming_it()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Bind(new() { ["Cluster:Nats:Urls"] = "nats://x:4222", ["Cluster:Lease"] = "3" }));
        Assert.Equal(["Cluster:Lease: unknown setting", "Cluster:Nats:Urls: unknown setting"], ex.Failures.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("nats://user:s3cret@10.0.0.5:4222", "nats://***@10.0.0.5:4222")]
    [InlineData("nats://t0ken@a:4222,tls://u:p@ss@b:4222", "nats://***@a:4222,tls://***@b:4222")]
    [InlineData("nats://10.0.0.5:4222", "nats://10.0.0.5:4222")]
    public void Credentials_in_the_url_are_masked(string url, string redacted) => Assert.Equal(redacted, NatsUrl.Redact(url));

    [Fact]
    public void A_validation_error_never_shows_the_password()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Bind(new() { ["Cluster:Nats:Url"] = "http://user:s3cret@broker:4222" }));
        Assert.DoesNotContain("s3cret", ex.Message, StringComparison.Ordinal);
        Assert.Contains("http://***@broker:4222", ex.Message, StringComparison.Ordinal);
    }

    private static ClusterOptions Bind(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var provider = new ServiceCollection().AddFaceWatchClusterOptions(configuration).BuildServiceProvider();
        return provider.GetRequiredService<IOptions<ClusterOptions>>().Value;
    }
}
