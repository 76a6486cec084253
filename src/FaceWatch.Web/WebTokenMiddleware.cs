using System.Security.Cryptography;
using System.Text;
using FaceWatch.Core.Health;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FaceWatch.Web;

/// <summary>
/// With <c>Web:Token</c> set every path needs it: <c>Authorization: Bearer</c>, the session cookie, or <c>?token=</c>
/// (which sets the cookie and redirects to the same address without the token, so it stays out of the address bar
/// and the history). Every comparison is constant-time.
/// </summary>
internal sealed class WebTokenMiddleware
{
    private const string TokenCookie = "facewatch_token";

    private readonly RequestDelegate _next;
    private readonly byte[] _token;
    private readonly string _cookieValue;
    private readonly byte[] _cookieBytes;
    private readonly LogThrottle _throttle;
    private readonly ILogger _logger;

    /// <param name="logger">The web live view's logger: the refusal line keeps the category it always had.</param>
    public WebTokenMiddleware(RequestDelegate next, WebOptions options, TimeProvider time, ILogger<WebLiveViewServer> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _next = next;
        _token = Encoding.UTF8.GetBytes(options.Token ?? "");
        // The cookie holds a value derived from the token, not the token: a stolen cookie is no Bearer token.
        _cookieValue = Convert.ToBase64String(HMACSHA256.HashData(_token, "facewatch web session v1"u8))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        _cookieBytes = Encoding.UTF8.GetBytes(_cookieValue);
        _throttle = new LogThrottle(time);
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var fromQuery = false;
        bool valid;
        var auth = context.Request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            valid = Matches(auth["Bearer ".Length..].Trim(), _token);
        }
        else if (context.Request.Query.TryGetValue("token", out var query))
        {
            valid = Matches(query.ToString(), _token);
            fromQuery = true;
        }
        else if (context.Request.Cookies.TryGetValue(TokenCookie, out var cookie))
        {
            valid = Matches(cookie, _cookieBytes);
        }
        else
        {
            valid = false;
        }

        if (!valid)
        {
            // anyone on the network can send these: one line a minute with a count, not one per request
            if (_throttle.ShouldLog("unauthorized", out var suppressed))
            {
                Log.Unauthorized(_logger, context.Connection.RemoteIpAddress?.ToString(), LogText.Printable(context.Request.Path.Value, 100), suppressed);
            }

            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"facewatch\"";
            await context.Response.WriteAsync("Web:Token required (Authorization: Bearer <token>, or open /?token=<token> once).", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (fromQuery)
        {
            context.Response.Cookies.Append(TokenCookie, _cookieValue, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = context.Request.IsHttps, Path = "/" });
            if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
            {
                var rest = QueryString.Create(context.Request.Query.Where(q => !string.Equals(q.Key, "token", StringComparison.OrdinalIgnoreCase)));
                context.Response.StatusCode = StatusCodes.Status303SeeOther;
                context.Response.Headers.Location = context.Request.PathBase + context.Request.Path + rest;
                context.Response.Headers.CacheControl = "no-store";
                return;
            }
        }

        await _next(context).ConfigureAwait(false);
    }

    private static bool Matches(string? given, byte[] expected) =>
        given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), expected);
}
