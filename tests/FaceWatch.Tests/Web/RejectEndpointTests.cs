using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.Workers;
using FaceWatch.Tests.Infrastructure;
using FaceWatch.Tests.Pipeline.Identification;
using FaceWatch.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace FaceWatch.Tests.Web;

/// <summary>
/// Issue 15, "that was not me": <c>POST /api/events/{id}/reject</c> on the web host as the daemon composes it, with a
/// real gallery file behind a <see cref="GalleryWatcher"/>, and the page's "Not &lt;name&gt;" button.
/// </summary>
[Trait("Category", "Slow")]
public sealed class RejectEndpointTests : IDisposable
{
    private static readonly EmbeddingModelIdentity Model = new(new string('a', 64), "test.onnx", 112, 16);
    private readonly string _dir = Directory.CreateTempSubdirectory("facewatch-reject-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(WebHostFixture Web, GalleryWatcher Gallery, string Path, float[] Face)> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var (x, y) = SvmClassifierTests.Clusters(3, 8, 16, 0.5, seed: 5);
        var people = new[] { "alice", "bob", "carol" }
            .Select((n, c) => new EnrolledPerson(n, x.Where((_, i) => y[i] == c).Select((v, i) => new EnrolledFace($"{n}/{i}.jpg", v)).ToArray()));
        var path = System.IO.Path.Combine(_dir, "gallery.json");
        GalleryStore.Save(Gallery.Create(Model, people, DateTimeOffset.UtcNow), path);
        var gallery = new GalleryWatcher(path, Model, TimeProvider.System, NullLogger.Instance);
        gallery.Load();
        var web = await WebHostFixture.StartAsync(settings, services: s => s.AddSingleton(gallery));
        return (web, gallery, path, x[0]);
    }

    private static IdentityEvent Event(string kind, string name, float[] face) =>
        TestEvents.Make(kind, WebHostFixture.Camera, 3, name) with { Known = name != "unknown", Embedding = face };

    private static async Task PublishAsync(WebHostFixture web, IdentityEvent e)
    {
        await web.Hub.PublishAsync(e, CancellationToken.None);
        var events = web.Host.Services.GetRequiredService<RecentEvents>();
        for (var i = 0; i < 100 && events.Find(e.EventId) is null; i++)
        {
            await Task.Delay(50);
        }

        Assert.NotNull(events.Find(e.EventId));
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(WebHostFixture web, string eventId, string? origin = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{web.BaseUrl}/api/events/{eventId}/reject");
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task A_known_event_is_rejected_once_into_the_gallery_file_and_again_is_already_rejected()
    {
        var (web, gallery, path, face) = await StartAsync();
        await using var _ = web;
        var e = Event(IdentityEventKind.Arrived, "alice", face);
        await PublishAsync(web, e);

        var page = await new HttpClient().GetStringAsync(web.BaseUrl + "/");
        Assert.Contains($"data-event=\"{e.EventId}\">Not alice</button>", page, StringComparison.Ordinal);

        var (status, body) = await PostAsync(web, e.EventId);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("alice", false, 1), (body.GetProperty("person").GetString(), body.GetProperty("alreadyRejected").GetBoolean(), body.GetProperty("negatives").GetInt32()));
        var saved = GalleryStore.Load(path, Model);
        var negative = Assert.Single(saved.Negatives);
        Assert.Equal(("alice", $"event:{e.EventId}"), (negative.Person, negative.Source));
        Assert.Equal(face, negative.Embedding);
        Assert.Single(gallery.Current!.Gallery.Negatives); // live at once

        (status, body) = await PostAsync(web, e.EventId);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.GetProperty("alreadyRejected").GetBoolean());
        Assert.Contains("already rejected", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Single(GalleryStore.Load(path, Model).Negatives);
    }

    [Fact]
    public async Task Cross_site_unknown_ids_and_events_that_named_nobody_are_refused_and_change_nothing()
    {
        var (web, _, path, face) = await StartAsync();
        await using var __ = web;
        var known = Event(IdentityEventKind.Arrived, "alice", face);
        var stranger = Event(IdentityEventKind.Arrived, "unknown", face);
        var left = Event(IdentityEventKind.Left, "alice", face);
        foreach (var e in new[] { known, stranger, left })
        {
            await PublishAsync(web, e);
        }

        var (status, body) = await PostAsync(web, known.EventId, origin: "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("Cross-site", body.GetProperty("detail").GetString(), StringComparison.Ordinal);

        (status, body) = await PostAsync(web, "0123456789abcdef0123456789abcdef");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("'0123456789abcdef0123456789abcdef'", body.GetProperty("detail").GetString(), StringComparison.Ordinal);

        foreach (var e in new[] { stranger, left })
        {
            (status, body) = await PostAsync(web, e.EventId);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains($"Event '{e.EventId}' is '{e.Event}' of '{e.Name}'", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        (status, body) = await PostAsync(web, new string('a', 200));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("is not an event id", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(GalleryStore.Load(path, Model).Negatives);
        Assert.DoesNotContain($"data-event=\"{stranger.EventId}\"", await new HttpClient().GetStringAsync(web.BaseUrl + "/"), StringComparison.Ordinal);
    }

    /// <summary>The page's "Not &lt;name&gt;" buttons in real Chromium, behind a token (the session cookie carries it).</summary>
    [Fact]
    public async Task The_pages_not_name_buttons_reject_their_events_from_a_real_browser()
    {
        const string token = "page-test-token";
        var (web, _, path, face) = await StartAsync(new Dictionary<string, string?> { ["Web:Token"] = token });
        await using var _ = web;
        web.StartFeeding();
        var early = Event(IdentityEventKind.Arrived, "alice", face);
        await PublishAsync(web, early);

        await using var browser = await ChromiumSession.StartAsync();
        await browser.NavigateAsync($"{web.BaseUrl}/?token={token}");
        Assert.True(await browser.WaitForAsync($"!!document.querySelector('button.reject[data-event=\"{early.EventId}\"]')", TimeSpan.FromSeconds(20)), "no button for the rendered event");
        await Task.Delay(1000); // the event stream is open
        var live = Event(IdentityEventKind.Changed, "bob", face.Reverse().ToArray()) with { TrackId = 4 };
        await PublishAsync(web, live);
        var button = $"document.querySelector('button.reject[data-event=\"{live.EventId}\"]')";
        Assert.True(await browser.WaitForAsync($"{button}?.textContent === 'Not bob'", TimeSpan.FromSeconds(20)), "no button for the streamed event");

        await browser.EvaluateAsync($"{button}.click()");
        Assert.True(await browser.WaitForAsync($"({button}.nextElementSibling?.textContent ?? '').includes('rejected')", TimeSpan.FromSeconds(20)),
            "no answer next to the button: " + (await browser.EvaluateAsync("document.getElementById('events').innerText")));
        await browser.EvaluateAsync($"document.querySelector('button.reject[data-event=\"{early.EventId}\"]').click()");
        Assert.True(await browser.WaitForAsync("document.querySelectorAll('#events .note').length === 2", TimeSpan.FromSeconds(20)));

        var saved = GalleryStore.Load(path, Model).Negatives;
        Assert.Equal([("bob", $"event:{live.EventId}"), ("alice", $"event:{early.EventId}")], saved.Select(n => (n.Person!, n.Source)));
    }

    [Fact]
    public void Recent_events_keep_the_last_decisions_with_their_embedding_but_not_the_jpeg()
    {
        var hub = new FaceWatch.Pipeline.Publishing.IdentityEventHub();
        var events = new RecentEvents(hub, Microsoft.Extensions.Options.Options.Create(new WebOptions { RecentEvents = 5 }));
        var first = Event(IdentityEventKind.Arrived, "alice", [1f, 0f]) with { FaceJpeg = [1, 2, 3] };
        events.Add(first);
        for (var i = 0; i < 20; i++)
        {
            events.Add(Event(IdentityEventKind.Left, "alice", [0f, 1f]));
        }

        var kept = events.Find(first.EventId);
        Assert.NotNull(kept);
        Assert.Equal([1f, 0f], kept.Embedding!);
        Assert.Null(kept.FaceJpeg);
        Assert.Equal(5, events.Snapshot().Count);
        for (var i = 0; i < RecentEvents.Decisions; i++)
        {
            events.Add(Event(IdentityEventKind.Changed, "bob", [0f, 1f]));
        }

        Assert.Null(events.Find(first.EventId));
    }
}
