using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FaceWatch.Tests.Infrastructure;
using FaceWatch.Tests.Web;
using Xunit.Abstractions;

namespace FaceWatch.Tests.Commands;

/// <summary><c>facewatch strangers</c>: the real CLI against the daemon's real web server (a fake stranger book, a real gallery file).</summary>
[Trait("Category", "Slow")]
public sealed class StrangersCommandTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);

    private static Dictionary<string, string> Env(string url) => new()
    {
        ["FACEWATCH_Web__Enabled"] = "true",
        ["FACEWATCH_Web__Urls"] = url,
    };

    private async Task<CliResult> RunAsync(IDictionary<string, string> env, params string[] args)
    {
        var run = await Cli.RunAsync(TestPaths.RepoRoot, env, CliTimeout, args);
        output.WriteLine($"facewatch {string.Join(' ', args)}: {run}");
        return run;
    }

    [Fact]
    public async Task List_name_and_forget_go_through_the_running_daemon()
    {
        await using var web = await StrangerWebHost.StartAsync();
        var env = Env(web.BaseUrl);

        var list = await RunAsync(env, "strangers", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        var lines = list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("id ", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^g-alan\s+3\s+2026-12-01 08:00:00\s+2026-12-01 11:00:00\s+door$", lines[1]);
        Assert.Matches(@"^g-p0\s+1\s+.*garden$", lines[2]);

        var json = await RunAsync(env, "strangers", "list", "--json");
        Assert.Equal(0, json.ExitCode);
        Assert.Equal(2, JsonDocument.Parse(json.Stdout).RootElement.GetProperty("groups").GetArrayLength());

        var named = await RunAsync(env, "strangers", "name", "g-alan", "alan_grant");
        Assert.True(named.ExitCode == 0, named.ToString());
        Assert.Contains("named alan_grant: 5 faces enrolled (new person)", named.Stdout, StringComparison.Ordinal);
        Assert.Equal(5, web.Gallery.People.Single(p => p.Name == "alan_grant").Faces.Count);

        var forgot = await RunAsync(env, "strangers", "forget", "g-p0");
        Assert.Equal(0, forgot.ExitCode);
        Assert.Null(web.Book.Find("g-p0"));

        var empty = await RunAsync(env, "strangers", "list");
        Assert.Contains("No strangers remembered.", empty.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_id_and_a_refused_name_fail_with_their_own_exit_codes_and_the_daemons_reason()
    {
        await using var web = await StrangerWebHost.StartAsync();
        var env = Env(web.BaseUrl);
        web.Book.Add("g-p3", [.. web.Faces[3].Take(4)], web.Jpeg);
        var before = await File.ReadAllBytesAsync(web.GalleryPath);

        var unknown = await RunAsync(env, "strangers", "ignore", "g-nobody");
        Assert.Equal(4, unknown.ExitCode);
        Assert.Contains("No stranger group 'g-nobody'", unknown.Stderr, StringComparison.Ordinal);

        var refused = await RunAsync(env, "strangers", "name", "g-p3", "p0");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("Stranger group 'g-p3' was not named 'p0'", refused.Stderr, StringComparison.Ordinal);

        var reserved = await RunAsync(env, "strangers", "name", "g-p3", "unknown");
        Assert.Equal(1, reserved.ExitCode);
        Assert.Contains("reserved", reserved.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(web.GalleryPath));
    }

    [Fact]
    public async Task The_token_comes_from_the_config_file_and_is_never_printed()
    {
        const string Token = "cli-token-8d1f2c";
        await using var web = await StrangerWebHost.StartAsync(new Dictionary<string, string?> { ["Web:Token"] = Token });
        var dir = Directory.CreateTempSubdirectory("facewatch-strangers-cli-").FullName;
        try
        {
            var config = Path.Combine(dir, "facewatch.json");
            await File.WriteAllTextAsync(config, $$"""{ "Web": { "Enabled": true, "Urls": "{{web.BaseUrl}}", "Token": "{{Token}}" } }""");

            var withToken = await RunAsync(new Dictionary<string, string>(), "strangers", "ignore", "g-alan", "--config", config);
            Assert.True(withToken.ExitCode == 0, withToken.ToString());
            Assert.Null(web.Book.Find("g-alan"));

            var wrong = await RunAsync(new Dictionary<string, string> { ["FACEWATCH_Web__Token"] = "not-" + Token }, "strangers", "list", "--config", config);
            Assert.Equal(2, wrong.ExitCode);
            Assert.Contains("Web:Token required", wrong.Stderr, StringComparison.Ordinal);
            foreach (var run in new[] { withToken, wrong })
            {
                Assert.DoesNotContain(Token, run.Stdout + run.Stderr, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Web_view_off_and_an_unreachable_daemon_say_so_naming_the_address_without_the_token()
    {
        var off = await RunAsync(new Dictionary<string, string> { ["FACEWATCH_Web__Enabled"] = "false" }, "strangers", "list");
        Assert.Equal(2, off.ExitCode);
        Assert.Contains("the web view is off (Web:Enabled is not true)", off.Stderr, StringComparison.Ordinal);

        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var env = Env($"http://0.0.0.0:{port}");
        env["FACEWATCH_Web__Token"] = "unreachable-s3cret";
        var down = await RunAsync(env, "strangers", "forget", "g-alan");
        Assert.Equal(3, down.ExitCode);
        Assert.Contains($"the daemon is not reachable at http://127.0.0.1:{port} (connection refused)", down.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("unreachable-s3cret", down.Stdout + down.Stderr, StringComparison.Ordinal);

        var randomPort = await RunAsync(Env("http://127.0.0.1:0"), "strangers", "list");
        Assert.Equal(2, randomPort.ExitCode);
        Assert.Contains("Web:Urls 'http://127.0.0.1:0' gives no address", randomPort.Stderr, StringComparison.Ordinal);
    }
}
