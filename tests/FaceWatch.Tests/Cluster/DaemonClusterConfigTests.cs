using FaceWatch.Core.Configuration;
using FaceWatch.Tests.EndToEnd;
using Microsoft.Extensions.Configuration;

namespace FaceWatch.Tests.Cluster;

/// <summary>The daemon knows the <c>Cluster</c> section: no "unknown section", but a wrong key or value inside it stops the start naming the key.</summary>
public sealed class DaemonClusterConfigTests
{
    [Fact]
    public void Cluster_is_a_known_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cluster:Nats:Url"] = "nats://127.0.0.1:4222", ["Cluster:Site"] = "home", ["Clustr:Site"] = "typo",
        }).Build();
        Assert.Equal(["Clustr"], StrictBinder.UnknownSections(configuration));
    }

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("""{"Cluster":{"Nats":{"Ulr":"nats://127.0.0.1:4222"}}}""", "Cluster:Nats:Ulr: unknown setting")]
    [InlineData("""{"Cluster":{"Sit":"home"}}""", "Cluster:Sit: unknown setting")]
    [InlineData("""{"Cluster":{"LeaseSeconds":0}}""", "Cluster:LeaseSeconds must be between 1 and 600")]
    public async Task A_wrong_cluster_setting_stops_the_daemon_with_78_naming_the_key(string json, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("facewatch-cluster-config-").FullName;
        try
        {
            var file = Path.Combine(dir, "facewatch.json");
            await File.WriteAllTextAsync(file, json);
            var (code, output) = await StartupExitCodeTests.RunDaemonAsync(new Dictionary<string, string>
            {
                ["FACEWATCH_Mqtt__Embedded__Port"] = Infrastructure.MosquittoBroker.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            }, "--config", file);
            Assert.True(code == 78, $"exit {code}:\n{output}");
            Assert.Contains(expected, output, StringComparison.Ordinal);
            Assert.DoesNotContain("unknown section", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
