using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FaceWatch.Tests.Infrastructure;

/// <summary>
/// Headless Chromium driven over the DevTools protocol: a live MJPEG page never "finishes loading",
/// so <c>--dump-dom</c> would wait forever; here the test evaluates the live DOM and takes screenshots.
/// </summary>
internal sealed class ChromiumSession : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _profile;
    private readonly ClientWebSocket _socket = new();
    private int _nextId;

    private ChromiumSession(Process process, DirectoryInfo profile)
    {
        _process = process;
        _profile = profile;
    }

    public static async Task<ChromiumSession> StartAsync()
    {
        var chromium = ExternalTools.Require("chromium", "chromium");
        var profile = Directory.CreateTempSubdirectory("facewatch-chromium-");
        var psi = new ProcessStartInfo(chromium) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile.FullName}",
            "--remote-debugging-port=0", "--window-size=1000,800", "about:blank",
        })
        {
            psi.ArgumentList.Add(arg);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start chromium");
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var session = new ChromiumSession(process, profile);
        try
        {
            await session.ConnectAsync();
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }

        return session;
    }

    public Task NavigateAsync(string url) => SendAsync("Page.navigate", new JsonObject { ["url"] = url });

    /// <summary>Evaluates a JavaScript expression in the page and returns its value as JSON.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true });
        return result?["result"]?["value"];
    }

    /// <summary>Polls <paramref name="expression"/> until it is true; returns false on timeout.</summary>
    public async Task<bool> WaitForAsync(string expression, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if ((await EvaluateAsync(expression))?.GetValueKind() == JsonValueKind.True)
            {
                return true;
            }

            await Task.Delay(200);
        }

        return false;
    }

    public async Task ScreenshotAsync(string pngPath)
    {
        var result = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" });
        await File.WriteAllBytesAsync(pngPath, Convert.FromBase64String(result!["data"]!.GetValue<string>()));
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            _profile.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Chromium's helpers may still hold files for a moment; the temp folder is cleaned later.
        }
    }

    private async Task ConnectAsync()
    {
        var portFile = Path.Combine(_profile.FullName, "DevToolsActivePort");
        var clock = Stopwatch.StartNew();
        while (!File.Exists(portFile) || (await File.ReadAllTextAsync(portFile)).Split('\n')[0].Length == 0)
        {
            if (_process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new InvalidOperationException($"chromium did not open its DevTools port (exited: {_process.HasExited})");
            }

            await Task.Delay(100);
        }

        var port = (await File.ReadAllTextAsync(portFile)).Split('\n')[0].Trim();
        using var http = new HttpClient();
        var targets = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list"))!.AsArray();
        var page = targets.First(t => t!["type"]!.GetValue<string>() == "page")!;
        await _socket.ConnectAsync(new Uri(page["webSocketDebuggerUrl"]!.GetValue<string>()), CancellationToken.None);
        await SendAsync("Page.enable", new JsonObject());
    }

    private async Task<JsonNode?> SendAsync(string method, JsonObject parameters)
    {
        var id = ++_nextId;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[1 << 16];
        while (true)
        {
            using var text = new MemoryStream();
            WebSocketReceiveResult received;
            do
            {
                received = await _socket.ReceiveAsync(buffer, timeout.Token);
                text.Write(buffer, 0, received.Count);
            }
            while (!received.EndOfMessage);

            var reply = JsonNode.Parse(text.ToArray())!;
            if (reply["id"]?.GetValue<int>() != id)
            {
                continue; // an event, or a reply to an earlier command
            }

            if (reply["error"] is { } error)
            {
                throw new InvalidOperationException($"DevTools {method} failed: {error.ToJsonString()}");
            }

            return reply["result"];
        }
    }
}
