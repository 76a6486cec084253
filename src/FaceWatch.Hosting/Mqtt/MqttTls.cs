using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;

using FaceWatch.Pipeline.Publishing;
namespace FaceWatch.Hosting.Mqtt;

/// <summary>TLS options for MQTTnet and the certificates they use, which the owner disposes when the client is gone.</summary>
internal sealed class MqttTlsMaterial(MqttClientTlsOptions options, params X509Certificate2?[] certificates) : IDisposable
{
    public MqttClientTlsOptions Options { get; } = options;

    public void Dispose()
    {
        foreach (var certificate in certificates)
        {
            certificate?.Dispose();
        }
    }
}

/// <summary>Builds MQTTnet TLS options from <see cref="MqttTlsOptions"/>: a private CA, a client certificate, or explicit allow-untrusted.</summary>
internal static class MqttTls
{
    public static MqttTlsMaterial Build(MqttTlsOptions options, string host)
    {
        X509Certificate2? ca = null;
        if (!string.IsNullOrEmpty(options.CaFile))
        {
            ca = Load("Mqtt:Tls:CaFile", options.CaFile, () => X509CertificateLoader.LoadCertificateFromFile(options.CaFile));
        }

        var builder = new MqttClientTlsOptionsBuilder()
            .UseTls()
            .WithTargetHost(host)
            .WithAllowUntrustedCertificates(options.AllowUntrusted)
            .WithCertificateValidationHandler(args => Validate(args.Certificate, args.SslPolicyErrors, ca, options.AllowUntrusted));

        X509Certificate2? cert = null;
        if (!string.IsNullOrEmpty(options.ClientCertFile))
        {
            try
            {
                cert = Load("Mqtt:Tls:ClientCertFile", options.ClientCertFile, () => LoadClientCertificate(options));
            }
            catch
            {
                ca?.Dispose();
                throw;
            }

            builder.WithClientCertificates([cert]);
        }

        return new MqttTlsMaterial(builder.Build(), ca, cert);
    }

    /// <summary>Accepts a valid chain, or a chain that ends at the configured CA; a name mismatch is never accepted unless untrusted is allowed.</summary>
    internal static bool Validate(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2? ca, bool allowUntrusted)
    {
        if (errors == SslPolicyErrors.None || allowUntrusted)
        {
            return true;
        }

        if (ca is null || certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var server = new X509Certificate2(certificate);
        try
        {
            return chain.Build(server);
        }
        finally
        {
            // Build makes a new certificate for every chain element, and disposing the chain does not free them
            foreach (var element in chain.ChainElements)
            {
                element.Certificate.Dispose();
            }
        }
    }

    private static X509Certificate2 LoadClientCertificate(MqttTlsOptions options)
    {
        var path = options.ClientCertFile!;
        if (path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, options.ClientKeyPassword);
        }

        var key = string.IsNullOrEmpty(options.ClientKeyFile) ? path : options.ClientKeyFile;
        return string.IsNullOrEmpty(options.ClientKeyPassword)
            ? X509Certificate2.CreateFromPemFile(path, key)
            : X509Certificate2.CreateFromEncryptedPemFile(path, options.ClientKeyPassword, key);
    }

    private static X509Certificate2 Load(string key, string path, Func<X509Certificate2> load)
    {
        try
        {
            return load();
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException or ArgumentException)
        {
            throw new InvalidOperationException($"{key}: cannot load certificate '{path}': {ex.Message}", ex);
        }
    }
}
