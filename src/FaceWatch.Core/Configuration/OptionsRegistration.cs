using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FaceWatch.Core.Configuration;

/// <summary>The one way a section becomes typed options: strict binding and data annotations checked at start, naming the key.</summary>
public static class OptionsRegistration
{
    /// <summary>Binds a section strictly (unknown keys and mistyped values fail), with data annotations checked at start (failures name the key).</summary>
    public static OptionsBuilder<T> AddSection<T>(this IServiceCollection services, IConfiguration configuration, string sectionName)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IValidateOptions<T>>(new KeyedAnnotationsValidator<T>(sectionName));
        return services.AddOptions<T>()
            .Configure(o => StrictBinder.Bind(configuration, sectionName, o))
            .ValidateOnStart();
    }
}
