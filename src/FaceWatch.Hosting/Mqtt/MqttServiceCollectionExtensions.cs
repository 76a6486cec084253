using FaceWatch.Pipeline.Capture;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

using FaceWatch.Core.Configuration;
using FaceWatch.Core.Health;
using FaceWatch.Pipeline.Publishing;
namespace FaceWatch.Hosting.Mqtt;

public static class MqttServiceCollectionExtensions
{
    /// <summary>
    /// Registers MQTT publishing: options <c>Mqtt</c> and <c>HomeAssistant</c> (validated at start, unknown keys
    /// rejected), the embedded broker and the publisher as hosted services (broker first, so it listens before
    /// the publisher connects). Call it before registering the pipeline's hosted services: hosts stop services in
    /// reverse order, so the publisher then outlives the pipeline and flushes its last events.
    /// Uses the <see cref="IdentityEventHub"/>, <see cref="CameraHealthRegistry"/> and <see cref="TimeProvider"/>
    /// already registered (adds them if missing), and <see cref="IConfiguredCameras"/> when registered.
    /// </summary>
    public static IServiceCollection AddFaceWatchMqtt(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        // Unknown keys and mistyped values are refused naming the key before the binder names .NET types. An explicit ""
        // reaches the options as "" (the daemon's configuration keeps empty values) and fails validation, never becomes the default.
        services.AddOptions<MqttOptions>()
            .Configure(_ => ConfigurationChecks.ThrowIfInvalid<MqttOptions>(configuration.GetSection(MqttOptions.SectionName)))
            .Bind(configuration.GetSection(MqttOptions.SectionName), o => o.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<MqttOptions>>(new KeyedAnnotationsValidator<MqttOptions>(MqttOptions.SectionName));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MqttOptions>, MqttOptionsValidator>());
        services.AddOptions<HomeAssistantOptions>()
            .Configure(_ => ConfigurationChecks.ThrowIfInvalid<HomeAssistantOptions>(configuration.GetSection(HomeAssistantOptions.SectionName)))
            .Bind(configuration.GetSection(HomeAssistantOptions.SectionName), o => o.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<HomeAssistantOptions>>(new KeyedAnnotationsValidator<HomeAssistantOptions>(HomeAssistantOptions.SectionName));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HomeAssistantOptions>, HomeAssistantOptionsValidator>());

        services.TryAddSingleton<IdentityEventHub>();
        services.TryAddSingleton<CameraHealthRegistry>();
        services.TryAddSingleton(TimeProvider.System);

        services.TryAddSingleton<EmbeddedBroker>();
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddedBroker>());
        services.TryAddSingleton<MqttPublisher>();
        services.AddHostedService(sp => sp.GetRequiredService<MqttPublisher>());
        return services;
    }

    /// <summary>
    /// As <see cref="AddFaceWatchMqtt(IServiceCollection, IConfiguration)"/>, and tells the publisher the configured
    /// camera names (read when it first connects), so Home Assistant configs of removed cameras are cleared.
    /// </summary>
    public static IServiceCollection AddFaceWatchMqtt(
        this IServiceCollection services, IConfiguration configuration, Func<IServiceProvider, IEnumerable<string>> configuredCameras)
    {
        ArgumentNullException.ThrowIfNull(configuredCameras);
        services.AddSingleton<IConfiguredCameras>(sp => new LazyConfiguredCameras(() => [.. configuredCameras(sp)]));
        return services.AddFaceWatchMqtt(configuration);
    }

    private sealed class LazyConfiguredCameras(Func<string[]> names) : IConfiguredCameras
    {
        private readonly Lazy<string[]> _names = new(names);

        public IReadOnlyCollection<string> Names => _names.Value;
    }
}
