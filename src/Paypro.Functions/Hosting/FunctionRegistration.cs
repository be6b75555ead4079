using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Paypro.Functions.Hosting;

/// <summary>Registers queue and timer functions with the hosting layer.</summary>
public static class FunctionRegistration
{
    /// <summary>
    /// Registers a queue-triggered function. Under the host it answers <c>POST /{functionName}</c>; in
    /// self-hosted mode the app listens on the queue itself. The function is resolved from a new scope for
    /// each message.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="functionName">The function's name: the folder of its function.json.</param>
    /// <param name="queueNameSetting">The flat setting that names the queue, the one function.json reads as <c>%Setting%</c>.</param>
    /// <param name="defaultQueueName">The queue when the setting is absent.</param>
    public static IServiceCollection AddQueueFunction<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TFunction>(
        this IServiceCollection services, string functionName, string queueNameSetting, string defaultQueueName)
        where TFunction : class, IQueueFunction
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(queueNameSetting);
        QueueFunctionDescriptor.ValidateQueueName(defaultQueueName, nameof(defaultQueueName));
        Add(services, new QueueFunctionDescriptor(functionName, queueNameSetting, defaultQueueName, sp => sp.GetRequiredService<TFunction>()));
        services.TryAddScoped<TFunction>();
        return services;
    }

    /// <summary>
    /// Registers a timer-triggered function. Under the host it answers <c>POST /{functionName}</c>; in
    /// self-hosted mode the app fires it on the schedule itself.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="functionName">The function's name: the folder of its function.json.</param>
    /// <param name="scheduleSetting">The flat setting holding the six-field NCRONTAB schedule, the one function.json reads as <c>%Setting%</c>.</param>
    /// <param name="defaultSchedule">The schedule when the setting is absent.</param>
    public static IServiceCollection AddTimerFunction<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TFunction>(
        this IServiceCollection services, string functionName, string scheduleSetting, string defaultSchedule)
        where TFunction : class, ITimerFunction
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(scheduleSetting);
        TimerFunctionDescriptor.ParseSchedule(defaultSchedule, nameof(defaultSchedule));
        Add(services, new TimerFunctionDescriptor(functionName, scheduleSetting, defaultSchedule, sp => sp.GetRequiredService<TFunction>()));
        services.TryAddScoped<TFunction>();
        return services;
    }

    private static void Add(IServiceCollection services, FunctionDescriptor descriptor)
    {
        foreach (var existing in services)
        {
            if (existing.ServiceType == typeof(FunctionDescriptor) && existing.ImplementationInstance is FunctionDescriptor other
                && string.Equals(other.Name, descriptor.Name, StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"A function named '{descriptor.Name}' is already registered; function names are unique, like the folders of their function.json.", "functionName");
            }
        }
        services.AddSingleton(descriptor);
    }
}
