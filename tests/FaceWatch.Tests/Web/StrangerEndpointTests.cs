using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FaceWatch.Hosting.Strangers;
using FaceWatch.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace FaceWatch.Tests.Web;

/// <summary>The stranger review's JSON API and page over real HTTP (Kestrel on loopback), with the daemon's web server and a fake stranger book.</summary>
[Trait("Category", "Slow")]
public sealed class StrangerEndpointTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Groups_and_crops_come_as_documented_json_and_jpeg_bytes_that_no_cache_keeps()
    {
        await using var web = await StrangerWebHost.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(web.BaseUrl) };

        var list = await http.GetStringAsync("/api/strangers");
        output.WriteLine(list);
        var root = JsonDocument.Parse(list).RootElement;
        Assert.True(root.GetProperty("enabled").GetBoolean());
        var groups = root.GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal(["g-alan", "g-p0"], groups.Select(g => g.GetProperty("id").GetString()));
        var alan = groups[0];
        Assert.Equal(3, alan.GetProperty("visits").GetInt32());
        Assert.Equal(["door"], alan.GetProperty("cameras").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero), alan.GetProperty("firstSeen").GetDateTimeOffset());
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 11, 0, 0, TimeSpan.Zero), alan.GetProperty("lastSeen").GetDateTimeOffset());
        var crops = alan.GetProperty("crops").EnumerateArray().ToList();
        Assert.Equal(5, crops.Count);
        Assert.Equal(
            ["index", "camera", "seenAt", "quality", "url"],
            crops[1].EnumerateObject().Select(p => p.Name));
        Assert.Equal("/api/strangers/g-alan/crops/1.jpg", crops[1].GetProperty("url").GetString());
        Assert.Equal(0.89, crops[1].GetProperty("quality").GetDouble(), 6);

        using var one = await http.GetAsync("/api/strangers/g-p0");
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal("garden", JsonDocument.Parse(await one.Content.ReadAsStringAsync()).RootElement.GetProperty("cameras")[0].GetString());

        using var crop = await http.GetAsync(crops[1].GetProperty("url").GetString());
        Assert.Equal(HttpStatusCode.OK, crop.StatusCode);
        Assert.Equal("image/jpeg", crop.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", crop.Headers.CacheControl?.ToString());
        Assert.Equal(web.Jpeg, await crop.Content.ReadAsByteArrayAsync());

        using var missing = await http.GetAsync("/api/strangers/g-nobody");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("'g-nobody'", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/strangers/g-alan/crops/5.jpg")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/strangers/g-alan/crops/-1.jpg")).StatusCode);
    }

    [Fact]
    public async Task Name_ignore_and_forget_change_the_gallery_and_the_book_and_answer_json()
    {
        await using var web = await StrangerWebHost.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(web.BaseUrl) };

        using var named = await http.PostAsync("/api/strangers/g-alan/name", Json("""{"name":"alan_grant"}"""));
        var body = await named.Content.ReadAsStringAsync();
        output.WriteLine(body);
        Assert.Equal(HttpStatusCode.OK, named.StatusCode);
        var answer = JsonDocument.Parse(body).RootElement;
        Assert.True(answer.GetProperty("ok").GetBoolean());
        Assert.Equal("alan_grant", answer.GetProperty("person").GetString());
        Assert.Equal(5, answer.GetProperty("faces").GetInt32());
        Assert.True(answer.GetProperty("newPerson").GetBoolean());
        Assert.Equal(5, web.Gallery.People.Single(p => p.Name == "alan_grant").Faces.Count);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/strangers/g-alan")).StatusCode);

        // The enrolled p0 does not look like p3: refused, file untouched, the group kept.
        web.Book.Add("g-p3", [.. web.Faces[3].Take(4)], web.Jpeg);
        var before = await File.ReadAllBytesAsync(web.GalleryPath);
        using var refused = await http.PostAsync("/api/strangers/g-p3/name", Json("""{"name":"p0"}"""));
        var problem = await refused.Content.ReadAsStringAsync();
        output.WriteLine(problem);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains("'g-p3'", JsonDocument.Parse(problem).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(web.GalleryPath));

        using var badName = await http.PostAsync("/api/strangers/g-p3/name", Json("""{"name":"unknown"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        Assert.Contains("reserved", await badName.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsync("/api/strangers/g-p3/name", Json("""{"nom":"x"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsync("/api/strangers/g-p3/name", Json("not json"))).StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await http.PostAsync("/api/strangers/g-p3/name", new StringContent("name=x", Encoding.UTF8, "application/x-www-form-urlencoded"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync("/api/strangers/g-gone/name", Json("""{"name":"x"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsync("/api/strangers/a%20b/ignore", null)).StatusCode);

        using var ignored = await http.PostAsync("/api/strangers/g-p3/ignore", null);
        Assert.Equal(HttpStatusCode.OK, ignored.StatusCode);
        Assert.Equal(4, web.Gallery.Negatives.Count(n => n.Person is null && n.Source == "stranger:g-p3"));

        using var forgotten = await http.DeleteAsync("/api/strangers/g-p0");
        Assert.Equal(HttpStatusCode.OK, forgotten.StatusCode);
        Assert.Equal("forget", JsonDocument.Parse(await forgotten.Content.ReadAsStringAsync()).RootElement.GetProperty("action").GetString());
        Assert.Empty(JsonDocument.Parse(await http.GetStringAsync("/api/strangers")).RootElement.GetProperty("groups").EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync("/api/strangers/g-p0")).StatusCode);
    }

    [Fact]
    public async Task A_cross_site_write_and_a_body_over_16_KiB_are_refused_and_change_nothing()
    {
        await using var web = await StrangerWebHost.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(web.BaseUrl) };
        var before = await File.ReadAllBytesAsync(web.GalleryPath);

        using var crossSite = new HttpRequestMessage(HttpMethod.Post, "/api/strangers/g-alan/name") { Content = Json("""{"name":"alan_grant"}""") };
        crossSite.Headers.Add("Origin", "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(crossSite)).StatusCode);
        using var fetchSite = new HttpRequestMessage(HttpMethod.Delete, "/api/strangers/g-alan");
        fetchSite.Headers.Add("Sec-Fetch-Site", "cross-site");
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(fetchSite)).StatusCode);
        using var sameOrigin = new HttpRequestMessage(HttpMethod.Post, "/api/strangers/g-p0/name") { Content = Json("""{"name":"p0"}""") };
        sameOrigin.Headers.Add("Origin", web.BaseUrl);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(sameOrigin)).StatusCode); // the page's own fetch

        var big = Json($$"""{"name":"alan_grant","pad":"{{new string('x', 20 * 1024)}}"}""");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await http.PostAsync("/api/strangers/g-alan/name", big)).StatusCode);
        // Without a Content-Length (chunked) the limit holds while the body is read: a 413, or (the server closing
        // with the rest of the body unread) a reset connection before the client reads the answer; never a write.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes($$"""{"name":"alan_grant","pad":"{{new string('x', 20 * 1024)}}"}""")));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var chunkedRequest = new HttpRequestMessage(HttpMethod.Post, "/api/strangers/g-alan/name") { Content = chunked };
        chunkedRequest.Headers.TransferEncodingChunked = true;
        try
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await http.SendAsync(chunkedRequest)).StatusCode);
        }
        catch (HttpRequestException e)
        {
            output.WriteLine($"chunked body over the limit: connection closed ({e.InnerException?.Message ?? e.Message})");
        }

        Assert.NotNull(web.Book.Find("g-alan"));
        Assert.DoesNotContain(web.Gallery.People, p => p.Name == "alan_grant");
        Assert.NotEqual(before, await File.ReadAllBytesAsync(web.GalleryPath)); // only the same-origin write changed it
    }

    [Fact]
    public async Task With_Web_Token_set_reads_and_writes_need_it()
    {
        await using var web = await StrangerWebHost.StartAsync(new Dictionary<string, string?> { ["Web:Token"] = "review-s3cret" });
        using var http = new HttpClient { BaseAddress = new Uri(web.BaseUrl) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/strangers")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/strangers/g-alan/crops/0.jpg")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsync("/api/strangers/g-alan/ignore", null)).StatusCode);
        Assert.NotNull(web.Book.Find("g-alan"));

        using var withToken = new HttpRequestMessage(HttpMethod.Post, "/api/strangers/g-alan/ignore");
        withToken.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "review-s3cret");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(withToken)).StatusCode);
        Assert.Null(web.Book.Find("g-alan"));
    }

    [Fact]
    public async Task Without_a_stranger_store_the_review_says_disabled_and_the_pages_link_to_each_other()
    {
        await using var web = await WebHostFixture.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(web.BaseUrl) };
        Assert.Equal("""{"enabled":false,"groups":[]}""", await http.GetStringAsync("/api/strangers"));
        using var write = await http.PostAsync("/api/strangers/g-alan/ignore", null);
        Assert.Equal(HttpStatusCode.Conflict, write.StatusCode);
        Assert.Contains("Strangers:Enabled", await write.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/strangers/g-alan")).StatusCode);

        Assert.Contains("href=\"/strangers\"", await http.GetStringAsync("/"), StringComparison.Ordinal);
        using var page = await http.GetAsync("/strangers");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("fetch('/api/strangers')", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_page_shows_the_groups_with_their_crops_and_names_one_with_a_typed_name()
    {
        await using var web = await StrangerWebHost.StartAsync();
        await using var browser = await ChromiumSession.StartAsync();
        await browser.NavigateAsync(web.BaseUrl + "/strangers");
        Assert.True(await browser.WaitForAsync("document.body.dataset.loaded === '2'", TimeSpan.FromSeconds(20)), "the page did not list the two groups");
        Assert.True(
            await browser.WaitForAsync("[...document.querySelectorAll('[data-group=\"g-alan\"] .crops img')].filter(i => i.complete && i.naturalWidth > 0).length === 5", TimeSpan.FromSeconds(20)),
            "the five crops of g-alan did not load");
        var meta = (await browser.EvaluateAsync("document.querySelector('[data-group=\"g-alan\"] .meta').textContent"))!.GetValue<string>();
        output.WriteLine(meta);
        Assert.Contains("3 visits", meta, StringComparison.Ordinal);
        Assert.Contains("cameras: door", meta, StringComparison.Ordinal);

        await browser.EvaluateAsync("(() => { const g = document.querySelector('[data-group=\"g-alan\"]'); g.querySelector('input.name').value = 'alan_grant'; g.querySelector('button.do-name').click(); return true; })()");
        Assert.True(await browser.WaitForAsync("document.body.dataset.loaded === '1'", TimeSpan.FromSeconds(20)), "the list did not refresh after naming");
        Assert.Contains("named alan_grant", (await browser.EvaluateAsync("document.getElementById('done').textContent"))!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(5, web.Gallery.People.Single(p => p.Name == "alan_grant").Faces.Count);

        // A refusal is shown on the page, and the group stays.
        await browser.EvaluateAsync("(() => { const g = document.querySelector('[data-group=\"g-p0\"]'); g.querySelector('input.name').value = 'unknown'; g.querySelector('button.do-name').click(); return true; })()");
        Assert.True(await browser.WaitForAsync("document.getElementById('error').textContent.includes('reserved')", TimeSpan.FromSeconds(20)), "the refusal was not shown");
        Assert.NotNull(web.Book.Find("g-p0"));
    }

    [Fact]
    public async Task The_daemon_registers_the_review_without_a_stranger_store_as_disabled()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Web:Enabled"] = "true",
            ["Web:Urls"] = "http://127.0.0.1:0",
            ["Models:Dir"] = TestPaths.ModelsDir,
            ["Mqtt:Enabled"] = "false",
        }).Build();
        using var host = FaceWatch.DaemonHost.CreateBuilder(config).Build();
        var sources = host.Services.GetRequiredService<FaceWatch.Web.WebViewSources>();
        Assert.Same(host.Services.GetRequiredService<StrangerActions>(), sources.Strangers);
        Assert.Equal(host.Services.GetService<IStrangerBook>()?.Enabled ?? false, sources.Strangers!.Enabled);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
